// Tokens of the policy language (LANGUAGE.md section 1).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lang/source.hpp"

namespace custos::lang {

enum class Tok : std::uint8_t {
  kEnd,
  kName,      // identifier or dotted name: `marketing`, `contact.email`, `actor.region`
  kString,    // "..." (value decoded into Lexer::strings)
  kInteger,   // 42
  kDuration,  // 90d
  // Keywords.
  kPolicy,
  kVersion,
  kCategory,
  kPurpose,
  kBasis,
  kRole,
  kAttribute,
  kTable,
  kAllow,
  kDeny,
  kRetain,
  kTo,
  kFor,
  kWhen,
  kAs,
  kAnd,
  kOr,
  kNot,
  kIn,
  kTrue,
  kFalse,
  kRead,
  kShare,
  kUse,
  kSensitive,
  kPublic,
  kSubject,
  kCollected,
  kVia,
  kNow,
  kTime,
  kSignals,
  // Punctuation.
  kComma,
  kColon,
  kDot,
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kLBrace,
  kRBrace,
  kAssign,  // =
  kEq,      // ==
  kNe,      // !=
  kLt,
  kLe,
  kGt,
  kGe,
  kPlus,
  kMinus,
  kAt,
  kStar,
};

enum class DurationUnit : std::uint8_t {
  kSeconds,
  kMinutes,
  kHours,
  kDays,
  kWeeks,
  kMonths,
  kYears
};

struct Token {
  Tok kind = Tok::kEnd;
  DurationUnit unit = DurationUnit::kSeconds;  // kDuration only
  Span span;
  // kInteger: the value; kDuration: the count of units; kString: the index
  // of the decoded value in Lexer::strings.
  std::int64_t number = 0;
};

// A `#` comment, kept for the formatter.
struct Comment {
  Span span;  // from `#` to the end of the line, line break excluded
};

// How a token kind reads in a message: "`allow`", "a name", "end of file".
std::string describe(Tok kind);
// The keyword spelled `text`, or kName.
Tok keyword_kind(std::string_view text);
bool is_keyword(std::string_view text);
// Seconds in one unit; the suffix as written (`min`, `mo`, ...).
std::int64_t unit_seconds(DurationUnit unit);
std::string_view unit_suffix(DurationUnit unit);

}  // namespace custos::lang
