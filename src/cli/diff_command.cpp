// custos diff: what a policy change opens up or closes, in access-matrix
// terms, for the review of a policy change.
#include <cstdio>

#include "cli/access_output.hpp"
#include "cli/commands.hpp"
#include "policy/diff.hpp"

namespace custos::cli {
namespace {

using detail::Access;
using detail::MatrixRow;
using detail::PolicyDiff;

nlohmann::ordered_json changed_json(const MatrixRow& row, const PolicyDiff& d) {
  nlohmann::ordered_json j;
  j["role"] = row.roles;
  j["action"] = row.action;
  j["category"] = row.categories;
  j["purpose"] = row.purposes;
  const Access& from = d.accesses[static_cast<std::size_t>(row.from)];
  const Access& to = d.accesses[row.access];
  j["from"] = access_json(from);
  j["to"] = access_json(to);
  j["more_revealing"] = detail::reveals_more(from, to);
  return j;
}

void print_json(const PolicyDiff& d) {
  nlohmann::ordered_json j;
  for (const char* key : {"gained", "lost", "changed"}) j[key] = nlohmann::ordered_json::array();
  for (const auto& row : d.gained) j["gained"].push_back(row_json(row, d.accesses[row.access]));
  for (const auto& row : d.lost) j["lost"].push_back(row_json(row, d.accesses[row.access]));
  for (const auto& row : d.changed) j["changed"].push_back(changed_json(row, d));
  std::printf("%s\n", json_text(j).c_str());
}

std::string describe(const lang::CheckedPolicy& p) {
  return "\"" + p.name + "\" version " + std::to_string(p.version) + " (" + p.source->name() + ")";
}

void print_text(const lang::CheckedPolicy& old_p, const lang::CheckedPolicy& new_p,
                const PolicyDiff& d) {
  std::printf("access from %s to %s\n", describe(old_p).c_str(), describe(new_p).c_str());
  if (d.gained.empty() && d.lost.empty() && d.changed.empty()) {
    std::printf("\nno change in access\n");
    return;
  }
  const auto section = [&](const char* title, const std::vector<MatrixRow>& rows) {
    if (rows.empty()) return;
    std::printf("\n%s (%zu):\n", title, rows.size());
    for (const auto& row : rows) {
      std::printf("  %s\n", row_scope_text(row).c_str());
      if (row.from < 0) {
        std::fputs(access_text(d.accesses[row.access], "    ").c_str(), stdout);
        continue;
      }
      const Access& from = d.accesses[static_cast<std::size_t>(row.from)];
      const Access& to = d.accesses[row.access];
      for (const auto& [label, a] : {std::pair{"was: ", &from}, std::pair{"now: ", &to}}) {
        std::string text = access_text(*a, "         ");
        text.replace(4, 5, label);
        std::fputs(text.c_str(), stdout);
      }
      std::printf("    %s\n", detail::reveals_more(from, to) ? "(reveals more)" : "(reveals less)");
    }
  };
  section("gained", d.gained);
  section("lost", d.lost);
  section("changed", d.changed);
}

}  // namespace

int run_diff(const std::vector<std::string>& raw) {
  const auto args = parse_args(raw, "diff", {"format"}, {"fail-on-gain"});
  if (!args) return kExitUsage;
  const std::string format = args->option("format").value_or("text");
  if (args->positional.size() != 2 || (format != "text" && format != "json")) {
    std::fprintf(stderr,
                 "custos diff: usage: custos diff OLD NEW [--format text|json] [--fail-on-gain]\n");
    return kExitUsage;
  }
  auto old_policy = check_policy_or_report(args->positional[0], "diff");
  auto new_policy = check_policy_or_report(args->positional[1], "diff");
  if (!old_policy || !new_policy) return kExitBadInput;
  auto old_matrix = detail::AccessMatrix::build(old_policy);
  auto new_matrix = detail::AccessMatrix::build(new_policy);
  for (const auto* m : {&old_matrix, &new_matrix}) {
    if (!m->ok()) {
      std::fprintf(stderr, "custos diff: %s\n", m->status().message().c_str());
      return kExitBadInput;
    }
  }
  auto diff = detail::diff_policies(**old_matrix, **new_matrix);
  if (!diff.ok()) {
    std::fprintf(stderr, "custos diff: %s\n", diff.status().message().c_str());
    return kExitBadInput;
  }
  if (format == "json") {
    print_json(*diff);
  } else {
    print_text(*old_policy, *new_policy, *diff);
  }
  if (args->has("fail-on-gain") && diff->more_revealing) {
    std::fprintf(stderr, "custos diff: %s reveals more than %s\n", args->positional[1].c_str(),
                 args->positional[0].c_str());
    return kExitBadInput;
  }
  return kExitOk;
}

}  // namespace custos::cli
