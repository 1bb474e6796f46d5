// Assertions: promises a policy states about itself (`assert never ...`,
// `assert consent for ...`, `assert at most T for ...`), checked against its
// access matrix when the policy is checked, so a policy that breaks one is
// rejected like one with any other error.
//
//   lang::Analysis a = analyze_policy("crm.custos", text);  // check + assertions
//   for (const auto& d : a.diagnostics) print(d.to_string());
//
// A broken assertion is an error (E060 never, E061 consent, E062 at most)
// at its `assert`, naming one counterexample: role, action, category,
// purpose and the rule that breaks the promise.
#pragma once

#include <string>
#include <vector>

#include "custos/diagnostic.hpp"
#include "lang/checker.hpp"
#include "policy/matrix.hpp"

namespace custos::detail {

// The errors of every broken assertion, in source order.
std::vector<Diagnostic> verify_assertions(AccessMatrix& matrix);

// lang::analyze, then (when the policy has no errors) its assertions: what
// `custos check`, `custos test` and Policy::compile run. A broken assertion
// leaves `policy` null, like any error.
lang::Analysis analyze_policy(std::string name, std::string text,
                              const lang::Schema* schema = nullptr);

}  // namespace custos::detail
