// Parser: tokens to the syntax tree (grammar in policy-lang/grammar.ebnf).
//
// Recursive descent with a depth limit (limits::kMaxExpressionDepth), so no
// input can overflow the stack. After a syntax error it reports, skips to the
// next statement keyword and goes on, so one run reports every broken
// statement.
#pragma once

#include "lang/ast.hpp"
#include "lang/diagnostics.hpp"
#include "lang/lexer.hpp"

namespace custos::lang {

struct ParsedPolicy {
  PolicyAst ast;
  LexedSource lexed;  // tokens, comments and decoded strings
};

ParsedPolicy parse(const SourceFile& file, DiagnosticSink& sink);

// Statement-level keywords (and `@`): where statements start and where error
// recovery resumes.
bool starts_statement(Tok kind);

}  // namespace custos::lang
