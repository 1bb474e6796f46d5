#include "lang/lexer.hpp"

#include <array>
#include <cctype>
#include <limits>
#include <utility>

#include "base/utf8.hpp"
#include "custos/limits.hpp"

namespace custos::lang {
namespace {

constexpr std::array<std::pair<std::string_view, Tok>, 32> kKeywords = {{
    {"policy", Tok::kPolicy},
    {"version", Tok::kVersion},
    {"category", Tok::kCategory},
    {"purpose", Tok::kPurpose},
    {"basis", Tok::kBasis},
    {"role", Tok::kRole},
    {"attribute", Tok::kAttribute},
    {"table", Tok::kTable},
    {"allow", Tok::kAllow},
    {"deny", Tok::kDeny},
    {"retain", Tok::kRetain},
    {"to", Tok::kTo},
    {"for", Tok::kFor},
    {"when", Tok::kWhen},
    {"as", Tok::kAs},
    {"and", Tok::kAnd},
    {"or", Tok::kOr},
    {"not", Tok::kNot},
    {"in", Tok::kIn},
    {"true", Tok::kTrue},
    {"false", Tok::kFalse},
    {"read", Tok::kRead},
    {"share", Tok::kShare},
    {"use", Tok::kUse},
    {"sensitive", Tok::kSensitive},
    {"public", Tok::kPublic},
    {"subject", Tok::kSubject},
    {"collected", Tok::kCollected},
    {"via", Tok::kVia},
    {"now", Tok::kNow},
    {"time", Tok::kTime},
    {"signals", Tok::kSignals},
}};

bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_ident_char(char c) {
  return is_ident_start(c) || (c >= '0' && c <= '9');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// A NUL byte is never part of policy text. Tools that read C strings stop at
// one, so a NUL in a comment could hide the rest of a file from a reviewer
// (or from `custos fmt` before it wrote with the size); a UTF-16 file has
// one before every ASCII character.
constexpr const char* kNulHint =
    "remove the NUL byte: policy files are UTF-8 text (a UTF-16 file has one before every "
    "ASCII character)";

class Lexer {
 public:
  Lexer(const SourceFile& file, DiagnosticSink& sink) : text_(file.text()), sink_(sink) {}

  // Every lexical error goes through here, so its place is recorded.
  void lex_error(const char* id, Span span, std::string message, std::string hint = {}) {
    out_.error_offsets.push_back(span.begin);
    sink_.error(id, span, std::move(message), std::move(hint));
  }

  LexedSource run() {
    while (true) {
      skip_space_and_comments();
      if (pos_ >= text_.size()) break;
      next_token();
    }
    push(Tok::kEnd, static_cast<std::uint32_t>(text_.size()));
    return std::move(out_);
  }

 private:
  Span span_from(std::size_t begin) const {
    return {static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(pos_)};
  }

  void push(Tok kind, std::size_t begin, std::int64_t number = 0,
            DurationUnit unit = DurationUnit::kSeconds) {
    Token t;
    t.kind = kind;
    t.span = span_from(begin);
    t.number = number;
    t.unit = unit;
    out_.tokens.push_back(t);
  }

  void skip_space_and_comments() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (is_space(c)) {
        ++pos_;
      } else if (c == '#') {
        const std::size_t begin = pos_;
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
        std::size_t end = pos_;
        if (end > begin && text_[end - 1] == '\r') --end;
        const std::string_view body = text_.substr(begin, end - begin);
        if (const auto nul = body.find('\0'); nul != std::string_view::npos) {
          const auto at = static_cast<std::uint32_t>(begin + nul);
          lex_error("E001", {at, at + 1}, "NUL byte in a comment", kNulHint);
        } else if (!detail::is_valid_utf8(body)) {
          lex_error("E001", {static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(end)},
                    "comment is not valid UTF-8", "policy files must be UTF-8 text");
        }
        out_.comments.push_back(
            {{static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(end)}});
      } else {
        return;
      }
    }
  }

  void next_token() {
    const std::size_t begin = pos_;
    const char c = text_[pos_];
    if (is_ident_start(c)) return lex_name();
    if (is_digit(c)) return lex_number();
    if (c == '"') return lex_string();
    ++pos_;
    const auto two = [&](char next, Tok both, Tok one) {
      if (pos_ < text_.size() && text_[pos_] == next) {
        ++pos_;
        push(both, begin);
      } else {
        push(one, begin);
      }
    };
    switch (c) {
      case ',':
        return push(Tok::kComma, begin);
      case ':':
        return push(Tok::kColon, begin);
      case '.':
        return push(Tok::kDot, begin);
      case '(':
        return push(Tok::kLParen, begin);
      case ')':
        return push(Tok::kRParen, begin);
      case '[':
        return push(Tok::kLBracket, begin);
      case ']':
        return push(Tok::kRBracket, begin);
      case '{':
        return push(Tok::kLBrace, begin);
      case '}':
        return push(Tok::kRBrace, begin);
      case '+':
        return push(Tok::kPlus, begin);
      case '-':
        return push(Tok::kMinus, begin);
      case '@':
        return push(Tok::kAt, begin);
      case '*':
        return push(Tok::kStar, begin);
      case '=':
        return two('=', Tok::kEq, Tok::kAssign);
      case '<':
        return two('=', Tok::kLe, Tok::kLt);
      case '>':
        return two('=', Tok::kGe, Tok::kGt);
      case '!':
        if (pos_ < text_.size() && text_[pos_] == '=') {
          ++pos_;
          return push(Tok::kNe, begin);
        }
        break;
      default:
        break;
    }
    if (c == '\0') {
      // A run of NUL bytes is one error.
      while (pos_ < text_.size() && text_[pos_] == '\0') ++pos_;
      lex_error("E001", span_from(begin), "NUL byte in policy text", kNulHint);
      return;
    }
    // Not a token: report the whole run of such characters once.
    pos_ = begin;
    bool valid_utf8 = true;
    while (pos_ < text_.size() && !starts_token(text_[pos_]) && text_[pos_] != '\0') {
      char32_t cp;
      if (!detail::decode_utf8(text_, pos_, &cp)) valid_utf8 = false;
    }
    if (pos_ == begin) ++pos_;  // a lone `!`
    if (!valid_utf8) {
      lex_error("E001", span_from(begin), "invalid UTF-8 in policy text",
                "policy files must be UTF-8 text");
    } else {
      const std::string run(text_.substr(begin, pos_ - begin));
      std::string hint;
      if (run.find(';') != std::string::npos) {
        hint = "statements need no terminator; remove the `;`";
      } else if (run == "&&" || run == "&") {
        hint = "write `and`";
      } else if (run == "||" || run == "|") {
        hint = "write `or`";
      } else if (run == "!") {
        hint = "write `not`, or `!=` to compare";
      }
      lex_error("E002", span_from(begin), "unexpected character `" + run + "`", hint);
    }
  }

  static bool starts_token(char c) {
    static constexpr std::string_view kStarts = ",:.()[]{}+-@*=<>\"#";
    return is_ident_start(c) || is_digit(c) || is_space(c) || kStarts.find(c) != kStarts.npos;
  }

  void lex_name() {
    const std::size_t begin = pos_;
    std::size_t parts = 1;
    while (pos_ < text_.size() && is_ident_char(text_[pos_])) ++pos_;
    // A dotted name continues while a `.` is followed by an identifier start;
    // after a dot, keywords are ordinary name parts.
    while (pos_ + 1 < text_.size() && text_[pos_] == '.' && is_ident_start(text_[pos_ + 1])) {
      ++pos_;
      ++parts;
      while (pos_ < text_.size() && is_ident_char(text_[pos_])) ++pos_;
    }
    const std::string_view text = text_.substr(begin, pos_ - begin);
    if (text.size() > limits::kMaxNameBytes || parts > limits::kMaxNameParts) {
      lex_error("E012", span_from(begin),
                "name is too long (limit: " + std::to_string(limits::kMaxNameBytes) +
                    " bytes and " + std::to_string(limits::kMaxNameParts) + " parts)");
    }
    push(parts == 1 ? keyword_kind(text) : Tok::kName, begin);
  }

  void lex_number() {
    const std::size_t begin = pos_;
    std::int64_t value = 0;
    bool overflow = false;
    while (pos_ < text_.size() && is_digit(text_[pos_])) {
      const int digit = text_[pos_] - '0';
      if (value > (std::numeric_limits<std::int64_t>::max() - digit) / 10) overflow = true;
      if (!overflow) value = value * 10 + digit;
      ++pos_;
    }
    const std::size_t unit_begin = pos_;
    while (pos_ < text_.size() && is_ident_char(text_[pos_])) ++pos_;
    const std::string_view unit = text_.substr(unit_begin, pos_ - unit_begin);
    if (overflow) {
      lex_error("E005", span_from(begin), "integer is too large",
                "integers are 64-bit: at most 9223372036854775807");
      // Saturate, so no later check reports the value as too small.
      value = std::numeric_limits<std::int64_t>::max();
    }
    if (unit.empty()) return push(Tok::kInteger, begin, value);
    if (overflow) value = 0;

    static constexpr std::pair<std::string_view, DurationUnit> kUnits[] = {
        {"s", DurationUnit::kSeconds}, {"min", DurationUnit::kMinutes},
        {"h", DurationUnit::kHours},   {"d", DurationUnit::kDays},
        {"w", DurationUnit::kWeeks},   {"mo", DurationUnit::kMonths},
        {"y", DurationUnit::kYears},
    };
    for (const auto& [suffix, kind] : kUnits) {
      if (unit != suffix) continue;
      if (value > std::numeric_limits<std::int64_t>::max() / unit_seconds(kind)) {
        lex_error("E006", span_from(begin), "duration is too long",
                  "a duration must fit in 64-bit seconds");
        value = 0;
      }
      return push(Tok::kDuration, begin, value, kind);
    }
    if (unit == "m") {
      lex_error("E006", span_from(begin), "ambiguous duration unit `m`",
                "write `" + std::string(text_.substr(begin, unit_begin - begin)) +
                    "min` for minutes or `" + std::string(text_.substr(begin, unit_begin - begin)) +
                    "mo` for months");
    } else {
      lex_error("E006", span_from(begin), "unknown duration unit `" + std::string(unit) + "`",
                "units are s, min, h, d, w, mo (30 days) and y (365 days)");
    }
    push(Tok::kDuration, begin, 0, DurationUnit::kSeconds);
  }

  void lex_string() {
    const std::size_t begin = pos_;
    ++pos_;  // opening quote
    std::string value;
    bool ok = true;
    while (true) {
      if (pos_ >= text_.size() || text_[pos_] == '\n' || text_[pos_] == '\r') {
        lex_error("E003", span_from(begin), "unterminated string",
                  "strings end with `\"` on the line they start on");
        break;
      }
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        break;
      }
      if (c == '\\') {
        lex_escape(value, ok);
        continue;
      }
      if (c == '\0') {
        const std::size_t nul_begin = pos_;
        while (pos_ < text_.size() && text_[pos_] == '\0') ++pos_;
        lex_error("E001", {static_cast<std::uint32_t>(nul_begin), static_cast<std::uint32_t>(pos_)},
                  "NUL byte in a string", kNulHint);
        ok = false;
        continue;
      }
      const std::size_t char_begin = pos_;
      char32_t cp;
      if (!detail::decode_utf8(text_, pos_, &cp)) {
        lex_error("E001",
                  {static_cast<std::uint32_t>(char_begin), static_cast<std::uint32_t>(pos_)},
                  "invalid UTF-8 in string", "policy files must be UTF-8 text");
        ok = false;
        continue;
      }
      value.append(text_.substr(char_begin, pos_ - char_begin));
    }
    if (value.size() > limits::kMaxStringBytes) {
      lex_error(
          "E012", span_from(begin),
          "string is too long (limit: " + std::to_string(limits::kMaxStringBytes) + " bytes)");
    }
    out_.strings.push_back(std::move(value));
    push(Tok::kString, begin, static_cast<std::int64_t>(out_.strings.size() - 1));
  }

  void lex_escape(std::string& value, bool& ok) {
    const std::size_t begin = pos_;
    ++pos_;  // backslash
    const char c = pos_ < text_.size() ? text_[pos_] : '\0';
    switch (c) {
      case '"':
        value += '"';
        ++pos_;
        return;
      case '\\':
        value += '\\';
        ++pos_;
        return;
      case 'n':
        value += '\n';
        ++pos_;
        return;
      case 't':
        value += '\t';
        ++pos_;
        return;
      case 'u':
        break;
      default:
        if (c != '\n' && c != '\0') ++pos_;
        lex_error("E004", span_from(begin), "unknown escape in string",
                  "escapes are \\\", \\\\, \\n, \\t and \\u{HEX}");
        ok = false;
        return;
    }
    ++pos_;  // u
    std::uint32_t cp = 0;
    std::size_t digits = 0;
    bool well_formed = pos_ < text_.size() && text_[pos_] == '{';
    if (well_formed) {
      ++pos_;
      // Read every hex digit (so the error covers the whole escape), but
      // only the first seven can matter: more than six is an error anyway.
      while (pos_ < text_.size() && std::isxdigit(static_cast<unsigned char>(text_[pos_]))) {
        const char h = text_[pos_];
        if (digits < 7) cp = cp * 16 + (is_digit(h) ? h - '0' : (h | 0x20) - 'a' + 10);
        ++digits;
        ++pos_;
      }
      const bool closed = pos_ < text_.size() && text_[pos_] == '}';
      if (closed) ++pos_;
      well_formed = closed && digits >= 1 && digits <= 6;
    }
    if (!well_formed || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      lex_error("E004", span_from(begin), "invalid `\\u{...}` escape",
                "write 1 to 6 hex digits of a Unicode scalar value, e.g. \\u{e9}");
      ok = false;
      return;
    }
    detail::append_utf8(value, cp);
  }

  std::string_view text_;
  DiagnosticSink& sink_;
  std::size_t pos_ = 0;
  LexedSource out_;
};

}  // namespace

Tok keyword_kind(std::string_view text) {
  for (const auto& [word, kind] : kKeywords) {
    if (word == text) return kind;
  }
  return Tok::kName;
}

bool is_keyword(std::string_view text) {
  return keyword_kind(text) != Tok::kName;
}

std::int64_t unit_seconds(DurationUnit unit) {
  switch (unit) {
    case DurationUnit::kSeconds:
      return 1;
    case DurationUnit::kMinutes:
      return 60;
    case DurationUnit::kHours:
      return 3600;
    case DurationUnit::kDays:
      return 86400;
    case DurationUnit::kWeeks:
      return 7 * 86400;
    case DurationUnit::kMonths:
      return 30 * 86400;
    case DurationUnit::kYears:
      return 365 * 86400;
  }
  return 1;
}

std::string_view unit_suffix(DurationUnit unit) {
  switch (unit) {
    case DurationUnit::kSeconds:
      return "s";
    case DurationUnit::kMinutes:
      return "min";
    case DurationUnit::kHours:
      return "h";
    case DurationUnit::kDays:
      return "d";
    case DurationUnit::kWeeks:
      return "w";
    case DurationUnit::kMonths:
      return "mo";
    case DurationUnit::kYears:
      return "y";
  }
  return "s";
}

std::string describe(Tok kind) {
  switch (kind) {
    case Tok::kEnd:
      return "end of file";
    case Tok::kName:
      return "a name";
    case Tok::kString:
      return "a string";
    case Tok::kInteger:
      return "an integer";
    case Tok::kDuration:
      return "a duration";
    case Tok::kComma:
      return "`,`";
    case Tok::kColon:
      return "`:`";
    case Tok::kDot:
      return "`.`";
    case Tok::kLParen:
      return "`(`";
    case Tok::kRParen:
      return "`)`";
    case Tok::kLBracket:
      return "`[`";
    case Tok::kRBracket:
      return "`]`";
    case Tok::kLBrace:
      return "`{`";
    case Tok::kRBrace:
      return "`}`";
    case Tok::kAssign:
      return "`=`";
    case Tok::kEq:
      return "`==`";
    case Tok::kNe:
      return "`!=`";
    case Tok::kLt:
      return "`<`";
    case Tok::kLe:
      return "`<=`";
    case Tok::kGt:
      return "`>`";
    case Tok::kGe:
      return "`>=`";
    case Tok::kPlus:
      return "`+`";
    case Tok::kMinus:
      return "`-`";
    case Tok::kAt:
      return "`@`";
    case Tok::kStar:
      return "`*`";
    default:
      break;
  }
  for (const auto& [word, k] : kKeywords) {
    if (k == kind) return "`" + std::string(word) + "`";
  }
  return "a token";
}

LexedSource lex(const SourceFile& file, DiagnosticSink& sink) {
  return Lexer(file, sink).run();
}

}  // namespace custos::lang
