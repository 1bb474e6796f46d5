#include "cli/test_lint.hpp"

#include <algorithm>
#include <set>

#include "base/text.hpp"
#include "custos/decision.hpp"
#include "lang/checker.hpp"
#include "lang/transforms.hpp"

namespace custos::cli {
namespace {

using nlohmann::json;

const std::vector<std::string>& reason_codes() {
  static const std::vector<std::string> codes = [] {
    std::vector<std::string> out;
    for (int r = static_cast<int>(Reason::kBadRequest);
         r <= static_cast<int>(Reason::kCollectedUnknown); ++r) {
      out.emplace_back(reason_code(static_cast<Reason>(r)));
    }
    return out;
  }();
  return codes;
}

std::string did_you_mean(const std::string& word, const std::vector<std::string>& known) {
  const std::string guess = detail::closest_match(word, known);
  return guess.empty() ? "" : " (did you mean `" + guess + "`?)";
}

// Empty when `expected` is a readable expectation, else what is wrong.
std::string check_expectation(const std::string& expected) {
  if (expected == "allow" || expected == "deny") return {};
  if (expected.rfind("deny ", 0) == 0) {
    const std::string reason = expected.substr(5);
    const auto& codes = reason_codes();
    if (std::find(codes.begin(), codes.end(), reason) != codes.end()) return {};
    return "unknown reason `" + reason + "`" + did_you_mean(reason, codes);
  }
  if (expected.rfind("allow as ", 0) == 0) {
    const std::string t = expected.substr(9);
    const std::string name = t.substr(0, t.find('('));
    const lang::TransformSpelling* s = lang::find_transform(name);
    if (!s) {
      std::vector<std::string> names;
      for (const auto& x : lang::kTransformSpellings) {
        if (x.writable) names.emplace_back(x.name);
      }
      return "unknown transform `" + name + "`" + did_you_mean(name, names);
    }
    const bool has_argument = t.size() > name.size();
    if (s->takes_argument != has_argument) {
      return "write the transform as a policy does: " + lang::transform_list();
    }
    return {};
  }
  return "unreadable expectation `" + expected +
         "` (write allow, allow as TRANSFORM, deny or deny REASON)";
}

}  // namespace

CaseFileFindings lint_cases(const json& cases, const std::string& cases_path,
                            const std::string& policy_path, const std::string& policy_text) {
  CaseFileFindings out;
  // Rule ids that move with their rule: those without @id.
  std::set<std::string> default_ids;
  const auto analysis = lang::analyze(policy_path, policy_text);
  if (analysis.policy) {
    for (const auto& r : analysis.policy->rules) {
      if (r.default_id) default_ids.insert(r.id);
    }
  }
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const json& c = cases[i];
    if (!c.is_object()) continue;  // reported when the case runs
    std::string where = cases_path + ": case " + std::to_string(i + 1);
    if (c.contains("name") && c["name"].is_string()) {
      where += " `" + c["name"].get<std::string>() + "`";
    }
    if (c.contains("expect") && c["expect"].is_object()) {
      // A decision without items (a request with no categories) can only
      // be pinned by `allowed`.
      if (c["expect"].empty() && !c.contains("allowed")) {
        out.errors.push_back(where +
                             ": `expect` is empty (and no `allowed`), so the case tests nothing");
      }
      for (const auto& [category, expected] : c["expect"].items()) {
        if (!expected.is_string()) continue;  // reported when the case runs
        const std::string problem = check_expectation(expected.get<std::string>());
        if (!problem.empty()) out.errors.push_back(where + ": " + category + ": " + problem);
      }
    }
    if (c.contains("request") && c["request"].is_object()) {
      const json& r = c["request"];
      const bool dated = r.contains("context") && r["context"].is_object() &&
                         r["context"].contains("time") && !r["context"]["time"].is_null();
      if (!dated) {
        out.warnings.push_back(where +
                               ": no `context.time`: the result depends on the day the case runs");
      }
    }
    if (c.contains("rules") && c["rules"].is_object()) {
      for (const auto& [category, rule] : c["rules"].items()) {
        if (!rule.is_string() || !default_ids.count(rule.get<std::string>())) continue;
        out.warnings.push_back(where + ": " + category + ": pins rule `" + rule.get<std::string>() +
                               "`, a default id: it changes when the rule moves (`custos fmt`, "
                               "edits) or the file is renamed; give the rule an @id(\"...\")");
      }
    }
  }
  return out;
}

}  // namespace custos::cli
