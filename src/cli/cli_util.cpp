#include "cli/cli_util.hpp"

#include <cstdio>

#include "base/time.hpp"
#include "custos/engine.hpp"

namespace custos::cli {

std::shared_ptr<const Policy> load_policy_or_report(const std::string& path) {
  std::vector<Diagnostic> diagnostics;
  auto policy = Policy::load(path, &diagnostics);
  if (policy.ok()) return *policy;
  bool printed = false;
  for (const auto& d : diagnostics) {
    if (!d.is_error()) continue;
    std::fputs(d.to_string().c_str(), stderr);
    printed = true;
  }
  if (!printed) std::fprintf(stderr, "custos: %s\n", policy.status().message().c_str());
  return nullptr;
}

std::optional<Timestamp> parse_time_option(const std::string& text, const char* command,
                                           const char* option) {
  const auto t = detail::parse_rfc3339(text);
  if (!t) {
    std::fprintf(stderr,
                 "custos %s: --%s: not an RFC 3339 time from 0001-01-01T00:00:00Z to "
                 "9999-12-31T23:59:59Z: %s (e.g. 2026-11-28T12:00:00Z)\n",
                 command, option, text.c_str());
  }
  return t;
}

bool open_audit_or_report(const Args& args, const char* command, std::unique_ptr<AuditLog>& out) {
  const auto path = args.option("audit");
  if (!path) {
    if (args.has("audit-key")) {
      std::fprintf(stderr, "custos %s: --audit-key needs --audit FILE\n", command);
      return false;
    }
    return true;
  }
  AuditOptions options;
  options.durability = AuditOptions::Durability::kSync;
  if (const auto key = args.option("audit-key")) {
    auto loaded = load_pseudonym_key(*key);
    if (!loaded.ok()) {
      std::fprintf(stderr, "custos %s: %s\n", command, loaded.status().message().c_str());
      return false;
    }
    options.key = *loaded;
  }
  auto log = AuditLog::open(*path, options);
  if (!log.ok()) {
    std::fprintf(stderr, "custos %s: %s\n", command, log.status().message().c_str());
    return false;
  }
  out = std::move(*log);
  return true;
}

bool open_consent_or_report(const Args& args, const char* command,
                            std::unique_ptr<ConsentStore>& out) {
  const auto path = args.option("consent-store");
  if (!path) {
    if (args.has("consent-key")) {
      std::fprintf(stderr, "custos %s: --consent-key needs --consent-store FILE\n", command);
      return false;
    }
    return true;
  }
  ConsentOptions options;
  options.read_only = true;
  if (const auto key = args.option("consent-key")) {
    auto loaded = load_pseudonym_key(*key);
    if (!loaded.ok()) {
      std::fprintf(stderr, "custos %s: %s\n", command, loaded.status().message().c_str());
      return false;
    }
    options.chain_key = *loaded;
  }
  auto store = ConsentStore::open(*path, options);
  if (!store.ok()) {
    std::fprintf(stderr, "custos %s: %s\n", command, store.status().message().c_str());
    return false;
  }
  out = std::move(*store);
  return true;
}

}  // namespace custos::cli
