// Diagnostic: one error or warning about a policy, with its place and a hint.
//
// Produced by Policy::compile / `custos check`. Ids are stable (E0xx errors,
// W0xx warnings) and listed in policy-lang/REFERENCE.md, so tools and tests
// may match on them. `to_string()` renders the human form:
//
//   crm.custos:12:23: error[E020]: undeclared category `contact.fone`
//      12 | allow agent to read contact.fone for service.support
//         |                     ^~~~~~~~~~~~
//      = hint: did you mean `contact.phone`?
//
// Thread-safety: plain value.
#ifndef CUSTOS_DIAGNOSTIC_HPP
#define CUSTOS_DIAGNOSTIC_HPP

#include <string>
#include <vector>

#include "custos/export.hpp"

namespace custos {

enum class Severity { kError, kWarning };

struct CUSTOS_EXPORT Diagnostic {
  Severity severity = Severity::kError;
  std::string id;           // "E020"
  std::string file;         // as given to the checker
  int line = 0;             // 1-based; 0 when the diagnostic has no place
  int column = 0;           // 1-based, counted in Unicode code points
  int length = 0;           // code points to underline, at least 1 when placed
  std::string message;      // one sentence, names in `backticks`
  std::string hint;         // optional: what to do about it
  std::string source_line;  // the line of the policy the place is in

  bool is_error() const { return severity == Severity::kError; }
  // FILE:LINE:COL: error[ID]: message, then the source line with a caret and
  // the hint, each on its own line; ends with a newline.
  std::string to_string() const;
};

// Counts errors in a list of diagnostics.
CUSTOS_EXPORT int count_errors(const std::vector<Diagnostic>& diagnostics);

}  // namespace custos

#endif  // CUSTOS_DIAGNOSTIC_HPP
