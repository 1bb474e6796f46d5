// Helpers shared by the CLI commands.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "cli/commands.hpp"
#include "custos/audit.hpp"
#include "custos/consent.hpp"
#include "custos/policy.hpp"
#include "custos/value.hpp"

namespace custos::cli {

// Loads and compiles a policy; on failure prints its diagnostics (or the IO
// error) to stderr and returns null.
std::shared_ptr<const Policy> load_policy_or_report(const std::string& path);

// Parses an RFC 3339 command-line time; prints an error naming `option`.
std::optional<Timestamp> parse_time_option(const std::string& text, const char* command,
                                           const char* option);

// With `--audit FILE` (and `--audit-key FILE` for a keyed chain), opens the
// audit log in sync mode, so each entry is durable before the command ends.
// Prints the error and returns false when it cannot.
bool open_audit_or_report(const Args& args, const char* command, std::unique_ptr<AuditLog>& out);

// With `--consent-store FILE` (and `--consent-key FILE` for a keyed chain),
// opens the consent store read-only. Prints the error and returns false
// when it cannot.
bool open_consent_or_report(const Args& args, const char* command,
                            std::unique_ptr<ConsentStore>& out);

}  // namespace custos::cli
