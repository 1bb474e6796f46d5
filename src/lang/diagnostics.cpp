#include "lang/diagnostics.hpp"

#include <algorithm>

#include "base/utf8.hpp"
#include "custos/limits.hpp"

namespace custos {

std::string Diagnostic::to_string() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
  out += is_error() ? ": error[" : ": warning[";
  out += id + "]: " + message + "\n";
  if (line > 0) {
    const std::string number = std::to_string(line);
    const std::string gutter(number.size(), ' ');
    // Tabs would misplace the caret; show them as single spaces. A NUL byte
    // (always an error, E001) shows as U+2400 SYMBOL FOR NULL, one column
    // wide like the byte it stands for, so the message stays one C string.
    std::string shown;
    shown.reserve(source_line.size());
    for (const char c : source_line) {
      if (c == '\t') {
        shown += ' ';
      } else if (c == '\0') {
        shown += "\xE2\x90\x80";  // U+2400
      } else {
        shown += c;
      }
    }
    out += " " + number + " | " + shown + "\n";
    out += " " + gutter + " | " + std::string(column - 1, ' ') + "^";
    if (length > 1) out += std::string(length - 1, '~');
    out += "\n";
  }
  if (!hint.empty()) out += " = hint: " + hint + "\n";
  return out;
}

int count_errors(const std::vector<Diagnostic>& diagnostics) {
  return static_cast<int>(std::count_if(diagnostics.begin(), diagnostics.end(),
                                        [](const Diagnostic& d) { return d.is_error(); }));
}

}  // namespace custos

namespace custos::lang {

void DiagnosticSink::error(const char* id, Span span, std::string message, std::string hint) {
  add(Severity::kError, id, span, true, std::move(message), std::move(hint));
}

void DiagnosticSink::warning(const char* id, Span span, std::string message, std::string hint) {
  add(Severity::kWarning, id, span, true, std::move(message), std::move(hint));
}

void DiagnosticSink::file_error(const char* id, std::string message, std::string hint) {
  add(Severity::kError, id, {}, false, std::move(message), std::move(hint));
}

void DiagnosticSink::file_warning(const char* id, std::string message, std::string hint) {
  add(Severity::kWarning, id, {}, false, std::move(message), std::move(hint));
}

void DiagnosticSink::add(Severity severity, const char* id, Span span, bool placed,
                         std::string message, std::string hint) {
  (severity == Severity::kError ? errors_ : warnings_) += 1;
  if (diagnostics_.size() >= limits::kMaxDiagnostics) {
    ++suppressed_;
    suppressed_error_ = suppressed_error_ || severity == Severity::kError;
    return;
  }
  Diagnostic d;
  d.severity = severity;
  d.id = id;
  d.file = file_.name();
  d.message = std::move(message);
  d.hint = std::move(hint);
  if (placed) {
    d.line = file_.line_of(span.begin);
    d.column = file_.column_of(span.begin);
    d.source_line = std::string(file_.line_text(d.line));
    // Underline the span, but never past the end of its first line.
    const int line_end = static_cast<int>(detail::count_code_points(d.source_line)) + 1;
    const int end_column = span.end > span.begin ? file_.column_of(span.end) : d.column + 1;
    const int end_line = span.end > span.begin ? file_.line_of(span.end) : d.line;
    d.length = std::max(1, (end_line == d.line ? end_column : line_end) - d.column);
  }
  diagnostics_.push_back(std::move(d));
}

bool DiagnosticSink::full() const {
  return diagnostics_.size() >= limits::kMaxDiagnostics;
}

std::vector<Diagnostic> DiagnosticSink::take() {
  std::stable_sort(diagnostics_.begin(), diagnostics_.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return a.line != b.line ? a.line < b.line : a.column < b.column;
                   });
  if (suppressed_ > 0) {
    Diagnostic note;
    note.severity = suppressed_error_ ? Severity::kError : Severity::kWarning;
    note.id = "E099";
    note.file = file_.name();
    note.message = std::to_string(suppressed_) + " more diagnostics not shown";
    note.hint = "fix the ones above first; later ones are often caused by them";
    diagnostics_.push_back(std::move(note));
  }
  suppressed_ = 0;
  suppressed_error_ = false;
  errors_ = 0;
  warnings_ = 0;
  return std::move(diagnostics_);
}

}  // namespace custos::lang
