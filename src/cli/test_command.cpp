// custos test: run a policy's test cases (policy-lang/REFERENCE.md, "Testing
// a policy"): each case is a request and the expected effect per category.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "base/file.hpp"
#include "base/text.hpp"
#include "base/time.hpp"
#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "cli/test_lint.hpp"
#include "custos/consent.hpp"
#include "custos/engine.hpp"
#include "custos/limits.hpp"
#include "engine/json_parse.hpp"

namespace custos::cli {
namespace {

using nlohmann::json;

// What a decision item looks like in the expectation language:
// "allow", "allow as hash", "deny consent_missing".
std::string describe(const Decision::Item& item) {
  if (item.allowed) {
    return item.transform.kind == Transform::Kind::kPlain
               ? "allow"
               : "allow as " + item.transform.to_string();
  }
  return std::string("deny ") + reason_code(item.reason);
}

// Empty when the item meets the expectation, else what differed.
std::string compare(const std::string& expected, const Decision::Item& item) {
  const std::string actual = describe(item);
  if (expected == "deny") return item.allowed ? "expected deny, got " + actual : "";
  if (expected == "allow" || expected.rfind("allow as ", 0) == 0 ||
      expected.rfind("deny ", 0) == 0) {
    return expected == actual ? "" : "expected " + expected + ", got " + actual;
  }
  return "unreadable expectation `" + expected +
         "` (write allow, allow as TRANSFORM, deny or deny REASON)";
}

// Errors and warnings about the case file as a whole (cli/test_lint.hpp);
// false when a case cannot mean anything, so nothing runs.
bool report_case_file(const json& cases, const std::string& cases_path,
                      const std::string& policy_path) {
  auto policy_text = detail::read_file(policy_path, limits::kMaxPolicyBytes);
  if (!policy_text.ok()) return true;  // the policy loaded already; nothing to add
  const CaseFileFindings findings = lint_cases(cases, cases_path, policy_path, *policy_text);
  for (const auto& w : findings.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  for (const auto& e : findings.errors) std::fprintf(stderr, "error: %s\n", e.c_str());
  if (findings.errors.empty()) return true;
  std::fprintf(stderr, "custos test: %s: %zu invalid expectation%s; no case was run\n",
               cases_path.c_str(), findings.errors.size(), findings.errors.size() == 1 ? "" : "s");
  return false;
}

// A case's own consent store: `"store": {"consent": [RECORD...], "signals":
// [{"tcf": "..." | "gpc": true|false, "at": TIME, "source": "..."}...]}`,
// all for the request's subject; records as in a request. Empty when it is
// filled, else what is wrong.
std::string fill_store(const json& spec, const std::string& subject, ConsentStore& store) {
  if (!spec.is_object()) return "`store` must be an object with `consent` and `signals`";
  for (const auto& [key, value] : spec.items()) {
    if (key != "consent" && key != "signals") {
      return "`store` takes `consent` and `signals`, not `" + key + "`";
    }
  }
  if (spec.contains("consent")) {
    // Read as a request's records, so they are checked the same way.
    const json probe = {{"actor", json::object()},
                        {"action", "read"},
                        {"purpose", "p"},
                        {"categories", {"c"}},
                        {"subject", {{"id", subject}, {"consent", spec["consent"]}}}};
    const Request r =
        Request::from_json(probe.dump(-1, ' ', false, json::error_handler_t::replace));
    if (!r.malformed.empty()) return "store: " + r.malformed;
    for (const auto& record : *r.subject->consent) {
      if (Status st = store.append(subject, record); !st.ok()) return "store: " + st.message();
    }
  }
  if (spec.contains("signals")) {
    if (!spec["signals"].is_array()) return "store: `signals` must be an array";
    for (const auto& j : spec["signals"]) {
      ConsentSignal signal;
      const bool tcf = j.is_object() && j.contains("tcf") && j["tcf"].is_string();
      const bool gpc = j.is_object() && j.contains("gpc") && j["gpc"].is_boolean();
      if (tcf == gpc) return "store: a signal has either a `tcf` string or a `gpc` boolean";
      signal.kind = tcf ? SignalKind::kTcf : SignalKind::kGpc;
      if (tcf) signal.tc_string = j["tcf"].get<std::string>();
      if (gpc) signal.gpc = j["gpc"].get<bool>();
      const auto at = j.contains("at") && j["at"].is_string()
                          ? detail::parse_rfc3339(j["at"].get<std::string>())
                          : std::nullopt;
      if (!at) return "store: a signal needs `at`, an RFC 3339 time";
      signal.at = *at;
      if (j.contains("source")) {
        if (!j["source"].is_string()) return "store: a signal's source must be a string";
        signal.source = j["source"].get<std::string>();
      }
      for (const auto& [key, value] : j.items()) {
        if (key != "tcf" && key != "gpc" && key != "at" && key != "source") {
          return "store: a signal takes tcf or gpc, at and source, not `" + key + "`";
        }
      }
      if (Status st = store.append_signal(subject, signal); !st.ok()) {
        return "store: " + st.message();
      }
    }
  }
  return "";
}

}  // namespace

int run_test(const std::vector<std::string>& raw) {
  const auto args = parse_args(raw, "test", {}, {});
  if (!args) return kExitUsage;
  if (args->positional.size() != 2) {
    std::fprintf(stderr, "custos test: usage: custos test POLICY CASES.json\n");
    return kExitUsage;
  }
  auto policy = load_policy_or_report(args->positional[0]);
  if (!policy) return kExitBadInput;
  const std::string& cases_path = args->positional[1];
  auto text = detail::read_file(cases_path, limits::kMaxPolicyBytes);
  if (!text.ok()) {
    std::fprintf(stderr, "custos test: %s\n", text.status().message().c_str());
    return kExitBadInput;
  }
  // A case file nests a request two levels down (array, case object), so it
  // may nest two levels more than a request. Deeper, it is refused before
  // parsing: a 100,000-deep request made the parse, the re-serialising of
  // the request and the destructor recurse until the stack overflowed.
  constexpr int kMaxCasesDepth = limits::kMaxJsonDepth + 2;
  if (detail::json_nesting_depth(*text) > kMaxCasesDepth) {
    std::fprintf(stderr,
                 "custos test: %s: nested deeper than %d levels (a request may nest %d, inside "
                 "the array of cases and its case object)\n",
                 cases_path.c_str(), kMaxCasesDepth, limits::kMaxJsonDepth);
    return kExitBadInput;
  }
  // Duplicate keys are refused as in a request: which `expect` would count?
  std::string duplicate;
  const json cases = detail::parse_json_unique_keys(*text, &duplicate);
  if (!duplicate.empty()) {
    std::fprintf(stderr, "custos test: %s: the key %s appears twice in one object\n",
                 cases_path.c_str(), duplicate.c_str());
    return kExitBadInput;
  }
  if (cases.is_discarded() || !cases.is_array()) {
    std::fprintf(stderr, "custos test: %s: not a JSON array of cases\n", cases_path.c_str());
    return kExitBadInput;
  }
  if (!report_case_file(cases, cases_path, args->positional[0])) return kExitBadInput;
  // Test cases date themselves and carry their subjects' consent.
  EngineOptions options;
  options.trust_request_time = true;
  options.trust_request_consent = true;
  Engine engine(policy, options);
  int passed = 0, failed = 0;
  for (std::size_t index = 0; index < cases.size(); ++index) {
    const json& c = cases[index];
    std::string name = "case " + std::to_string(index + 1);
    std::vector<std::string> problems;
    if (!c.is_object()) {
      problems.push_back("a case must be an object with name, request and expect");
    } else {
      if (c.contains("name") && c["name"].is_string()) name = c["name"].get<std::string>();
      if (!c.contains("request") || !c.contains("expect") || !c["expect"].is_object()) {
        problems.push_back("a case needs `request` and an `expect` object");
      } else {
        const Request request =
            Request::from_json(c["request"].dump(-1, ' ', false, json::error_handler_t::replace));
        // A case with a `store` is decided by an engine with that store.
        std::unique_ptr<ConsentStore> store;
        std::unique_ptr<Engine> own;
        if (c.contains("store")) {
          auto opened = ConsentStore::open(":memory:");
          std::string why = !opened.ok()       ? opened.status().message()
                            : !request.subject ? "a `store` needs a request with a subject"
                                               : "";
          if (why.empty()) why = fill_store(c["store"], request.subject->id, **opened);
          if (!why.empty()) {
            problems.push_back(why);
          } else {
            store = std::move(*opened);
            EngineOptions with_store = options;
            with_store.consent_store = store.get();
            own = std::make_unique<Engine>(policy, std::move(with_store));
          }
        }
        const Decision d = (own ? *own : engine).check(request);
        for (const auto& [category, expected] : c["expect"].items()) {
          const Decision::Item* item = nullptr;
          for (const auto& i : d.items) {
            if (i.category == category) {
              item = &i;
              break;
            }
          }
          if (!item) {
            problems.push_back(category + ": not in the decision (is it in the request?)");
          } else if (!expected.is_string()) {
            problems.push_back(category + ": the expectation must be a string");
          } else if (auto diff = compare(expected.get<std::string>(), *item); !diff.empty()) {
            problems.push_back(category + ": " + diff);
          }
        }
        // Optional: the rule each item must report, and the overall answer.
        if (c.contains("rules")) {
          if (!c["rules"].is_object()) {
            problems.push_back("`rules` must be an object of CATEGORY: RULE_ID");
          } else {
            for (const auto& [category, rule] : c["rules"].items()) {
              const Decision::Item* item = nullptr;
              for (const auto& i : d.items) {
                if (i.category == category) item = &i;
              }
              if (!item || !rule.is_string()) {
                problems.push_back(category + ": no such item, or a rule id that is not a string");
              } else if (item->rule != rule.get<std::string>()) {
                problems.push_back(category + ": expected rule " + rule.get<std::string>() +
                                   ", got " + (item->rule.empty() ? "none" : item->rule));
              }
            }
          }
        }
        if (c.contains("allowed") &&
            (!c["allowed"].is_boolean() || c["allowed"].get<bool>() != d.allowed)) {
          problems.push_back(std::string("expected allowed: ") + c["allowed"].dump() + ", got " +
                             (d.allowed ? "true" : "false"));
        }
      }
    }
    if (problems.empty()) {
      ++passed;
      continue;
    }
    ++failed;
    std::printf("FAIL %s\n", name.c_str());
    for (const auto& p : problems) std::printf("  %s\n", p.c_str());
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? kExitOk : kExitBadInput;
}

}  // namespace custos::cli
