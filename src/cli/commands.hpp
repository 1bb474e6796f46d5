// The `custos` command: one function per subcommand, and the small argument
// parser they share. Exit codes: 0 success, 1 the input is bad (a policy with
// errors, a malformed request, a failed test case), 2 the command line is
// wrong.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace custos::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitBadInput = 1;
inline constexpr int kExitUsage = 2;

struct Command {
  const char* name;
  const char* summary;  // one line for `custos --help`
  const char* help;     // the full text of `custos help NAME`
  int (*run)(const std::vector<std::string>& args);
};

const std::vector<Command>& commands();

// Parsed command-line arguments: `--name VALUE`, `--name=VALUE`, `--switch`
// and positionals (everything after a lone `--` is positional).
struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
  std::map<std::string, std::vector<std::string>> lists;  // repeatable options
  std::vector<std::string> switches;

  bool has(const std::string& name) const;
  std::optional<std::string> option(const std::string& name) const;
  // Every value of a repeatable option, in order.
  std::vector<std::string> list(const std::string& name) const;
};

// Returns nothing (after printing a message to stderr) when an argument is
// not one of `options` (taking a value) or `switches`, or when an option or
// switch is given twice. An option written `name...` in `options` is
// repeatable: its values are collected in `lists`.
std::optional<Args> parse_args(const std::vector<std::string>& args, const char* command,
                               const std::vector<std::string>& options,
                               const std::vector<std::string>& switches);

int run_check(const std::vector<std::string>& args);
int run_fmt(const std::vector<std::string>& args);
int run_eval(const std::vector<std::string>& args);
int run_test(const std::vector<std::string>& args);
int run_consent(const std::vector<std::string>& args);
int run_query(const std::vector<std::string>& args);
int run_audit(const std::vector<std::string>& args);
int run_keygen(const std::vector<std::string>& args);
int run_bundle(const std::vector<std::string>& args);
int run_signal(const std::vector<std::string>& args);
int run_matrix(const std::vector<std::string>& args);
int run_diff(const std::vector<std::string>& args);
int run_purge(const std::vector<std::string>& args);

}  // namespace custos::cli
