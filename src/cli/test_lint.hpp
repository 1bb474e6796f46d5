// Checks of a `custos test` case file before its cases run: expectations
// that cannot mean anything (an empty `expect`, a reason code or transform
// that does not exist) are errors; a case without `context.time` (its result
// depends on the day) and a case pinning a rule's default id (it breaks when
// the rule moves) are warnings.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace custos::cli {

struct CaseFileFindings {
  std::vector<std::string> errors;    // each a line: "CASES: case N `name`: ..."
  std::vector<std::string> warnings;  // the same, after "warning: "
};

// `policy_text` is the policy the cases run against, named `policy_path`.
CaseFileFindings lint_cases(const nlohmann::json& cases, const std::string& cases_path,
                            const std::string& policy_path, const std::string& policy_text);

}  // namespace custos::cli
