// custos purge: delete or clear, in an application's SQLite file, what the
// policy's retention rules no longer allow to keep, and print what was done.
#include <cstdio>

#include "base/time.hpp"
#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "custos/audit.hpp"
#include "custos/purge.hpp"
#include "retention/summary.hpp"

namespace custos::cli {

int run_purge(const std::vector<std::string>& raw) {
  const auto args = parse_args(raw, "purge", {"now", "audit", "audit-key"}, {"dry-run"});
  if (!args) return kExitUsage;
  if (args->positional.size() != 2) {
    std::fprintf(stderr,
                 "custos purge: usage: custos purge POLICY DB [--dry-run] [--now TIME] "
                 "[--audit FILE [--audit-key FILE]] (see `custos help purge`)\n");
    return kExitUsage;
  }
  PurgeOptions options;
  options.dry_run = args->has("dry-run");
  if (const auto now = args->option("now")) {
    const auto t = parse_time_option(*now, "purge", "now");
    if (!t) return kExitBadInput;
    options.now = *t;
  }
  auto policy = load_policy_or_report(args->positional[0]);
  if (!policy) return kExitBadInput;
  // Opened after the policy loads, so a bad policy leaves no new log file.
  std::unique_ptr<AuditLog> audit;
  if (!open_audit_or_report(*args, "purge", audit)) return kExitBadInput;
  options.audit = audit.get();
  const std::string& db = args->positional[1];
  auto report = purge(db, *policy, options);
  if (!report.ok()) {
    std::fprintf(stderr, "custos purge: %s\n", report.status().message().c_str());
    return kExitBadInput;
  }
  std::printf("%spurge of %s at %s under policy \"%s\" version %lld%s\n",
              options.dry_run ? "dry run: " : "", db.c_str(),
              detail::format_rfc3339(report->now).c_str(), policy->name().c_str(),
              static_cast<long long>(policy->version()),
              options.dry_run ? " (nothing was changed)" : "");
  for (const auto& t : report->tables) {
    std::printf("%s\n", retention::describe_table(t).c_str());
  }
  std::printf("%s\n", retention::describe_total(*report).c_str());
  if (!report->refused()) return kExitOk;
  for (const auto& t : report->tables) {
    for (const auto& c : t.refused_columns) {
      std::fprintf(stderr,
                   "custos purge: %s.%s is NOT NULL but expired cells of it must be cleared: "
                   "table %s left unchanged\n",
                   t.name.c_str(), c.c_str(), t.name.c_str());
    }
  }
  return kExitBadInput;
}

}  // namespace custos::cli
