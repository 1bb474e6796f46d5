// The guard of `custos fmt`: formatting may change layout, never content.
#pragma once

#include <string>

#include "lang/lexer.hpp"

namespace custos::cli {

// Compares what two lexings of one policy say, ignoring layout: the tokens
// (kind, and the text of names, the values of strings, integers and
// durations) and the comments (without trailing blanks), in order. The
// canonical spellings the formatter may choose are equal: `007` and `7`,
// `"a\u{62}"` and `"ab"`, `((x))` and `(x)`, and in a table binding a quoted SQL name that
// needs no quotes (`"Customer"`) and the bare name, `T . C` and `T.C`.
// Returns "" when they agree, else the first difference, for a message.
std::string content_difference(const lang::SourceFile& before,
                               const lang::LexedSource& lexed_before, const lang::SourceFile& after,
                               const lang::LexedSource& lexed_after);

}  // namespace custos::cli
