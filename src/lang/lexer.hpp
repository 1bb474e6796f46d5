// Lexer: policy text to tokens and comments, reporting lexical errors
// (E001-E007) and continuing after each, so one run finds all of them.
#pragma once

#include <string>
#include <vector>

#include "lang/diagnostics.hpp"
#include "lang/token.hpp"

namespace custos::lang {

struct LexedSource {
  std::vector<Token> tokens;  // always ends with kEnd
  std::vector<Comment> comments;
  std::vector<std::string> strings;  // decoded string literals
  // Where each lexical error starts (ascending). The parser stays quiet
  // about a statement that already has one, so a bad character or an
  // unterminated string does not cascade into syntax errors.
  std::vector<std::uint32_t> error_offsets;
};

LexedSource lex(const SourceFile& file, DiagnosticSink& sink);

}  // namespace custos::lang
