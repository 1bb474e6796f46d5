// Formatter: prints a parsed policy in its canonical form.
//
// Layout is decided by the formatter, never by the input: one statement per
// line (a statement longer than kLineWidth wraps, `when` starting its own
// continuation line), single spaces, table entries one per line indented two
// spaces. Comments are kept: a comment on the line where a statement or
// table entry ends stays there; every other comment goes, on its own line,
// before the statement or entry it precedes or sits in. Single blank lines
// between statements are kept, longer runs collapse to one. Formatting the
// output again changes nothing.
#pragma once

#include <string>

#include "lang/parser.hpp"

namespace custos::lang {

inline constexpr std::size_t kLineWidth = 100;

std::string format_policy(const SourceFile& file, const ParsedPolicy& parsed);

// A condition in canonical form on one line, as `custos matrix` shows it.
std::string format_expr(const Expr& e);

// Seconds in the units a policy writes: `3y`, `90d`, `1y 35d 4h 2min 5s`
// (largest units first, years of 365 days; zero parts left out).
std::string format_seconds(std::int64_t seconds);

}  // namespace custos::lang
