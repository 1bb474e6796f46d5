// Helpers shared by the CLI commands.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "custos/policy.hpp"
#include "custos/value.hpp"

namespace custos::cli {

// Loads and compiles a policy; on failure prints its diagnostics (or the IO
// error) to stderr and returns null.
std::shared_ptr<const Policy> load_policy_or_report(const std::string& path);

// Parses an RFC 3339 command-line time; prints an error naming `option`.
std::optional<Timestamp> parse_time_option(const std::string& text, const char* command,
                                           const char* option);

}  // namespace custos::cli
