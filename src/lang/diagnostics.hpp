// Collects the diagnostics of one source file: errors and warnings with their
// place, capped at limits::kMaxDiagnostics, sorted by place when taken.
#pragma once

#include <string>
#include <vector>

#include "custos/diagnostic.hpp"
#include "lang/source.hpp"

namespace custos::lang {

class DiagnosticSink {
 public:
  explicit DiagnosticSink(const SourceFile& file) : file_(file) {}

  void error(const char* id, Span span, std::string message, std::string hint = {});
  void warning(const char* id, Span span, std::string message, std::string hint = {});
  // A diagnostic about the file as a whole (no line).
  void file_error(const char* id, std::string message, std::string hint = {});
  void file_warning(const char* id, std::string message, std::string hint = {});

  bool has_errors() const { return errors_ > 0; }
  std::size_t error_count() const { return errors_; }
  std::size_t warning_count() const { return warnings_; }
  // The cap is reached: further diagnostics are only counted, so callers
  // may skip the work of their hints.
  bool full() const;
  // All diagnostics so far, in source order, with a final note when some
  // were suppressed by the cap. Leaves the sink empty.
  std::vector<Diagnostic> take();

 private:
  void add(Severity severity, const char* id, Span span, bool placed, std::string message,
           std::string hint);

  const SourceFile& file_;
  std::vector<Diagnostic> diagnostics_;
  std::size_t errors_ = 0;
  std::size_t warnings_ = 0;
  std::size_t suppressed_ = 0;
  bool suppressed_error_ = false;
};

}  // namespace custos::lang
