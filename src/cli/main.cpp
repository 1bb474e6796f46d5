// custos: check, format, evaluate and test Custos policies.
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "custos/version.hpp"

namespace custos::cli {
namespace {

void print_overview(std::FILE* out) {
  std::fprintf(out,
               "custos %s: purpose- and consent-aware access control for customer data\n\n"
               "usage: custos COMMAND [ARGS]\n\ncommands:\n",
               CUSTOS_VERSION_STRING);
  for (const auto& c : commands()) std::fprintf(out, "  %-10s %s\n", c.name, c.summary);
  std::fprintf(out,
               "  %-10s %s\n\nRun `custos help COMMAND` for a command's options.\n"
               "Exit codes: 0 success, 1 bad input (policy errors, failed cases), 2 usage.\n",
               "help", "show help for a command");
}

const Command* find_command(const std::string& name) {
  for (const auto& c : commands()) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

}  // namespace

bool Args::has(const std::string& name) const {
  for (const auto& s : switches) {
    if (s == name) return true;
  }
  return options.count(name) > 0;
}

std::optional<std::string> Args::option(const std::string& name) const {
  const auto it = options.find(name);
  if (it == options.end()) return std::nullopt;
  return it->second;
}

std::optional<Args> parse_args(const std::vector<std::string>& args, const char* command,
                               const std::vector<std::string>& options,
                               const std::vector<std::string>& switches) {
  Args out;
  const auto known = [](const std::vector<std::string>& list, const std::string& name) {
    for (const auto& l : list) {
      if (l == name) return true;
    }
    return false;
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() < 3 || a.compare(0, 2, "--") != 0) {
      out.positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::optional<std::string> value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (known(switches, name) && !value) {
      out.switches.push_back(name);
    } else if (known(options, name)) {
      if (!value) {
        if (i + 1 >= args.size()) {
          std::fprintf(stderr, "custos %s: --%s needs a value\n", command, name.c_str());
          return std::nullopt;
        }
        value = args[++i];
      }
      out.options[name] = *value;
    } else {
      std::fprintf(stderr, "custos %s: unknown option `%s` (see `custos help %s`)\n", command,
                   a.c_str(), command);
      return std::nullopt;
    }
  }
  return out;
}

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"check", "check policies for errors and warnings",
       "usage: custos check POLICY... [--db SQLITE_FILE]\n\n"
       "Checks each policy: syntax, names, types, bindings. Prints every error and\n"
       "warning as FILE:LINE:COL: error[ID]: message, with the source line and a hint,\n"
       "then a summary of what a valid policy declares.\n\n"
       "  --db FILE   also check the table bindings against this SQLite database\n"
       "              (opened read-only): a missing table or column is an error, a\n"
       "              column the binding does not list is a warning\n\n"
       "Exit: 0 when every policy is valid (warnings allowed), 1 on any error.\n",
       run_check},
      {"fmt", "print a policy in canonical form",
       "usage: custos fmt POLICY [--write | --check]\n\n"
       "Prints the policy in canonical form: one statement per line, single spaces,\n"
       "table entries indented, comments kept. Formatting twice changes nothing.\n\n"
       "  --write   rewrite the file in place (atomically) instead of printing\n"
       "  --check   print nothing; exit 1 when the file is not in canonical form\n\n"
       "Exit: 0 on success, 1 when the policy has syntax errors (nothing is written).\n",
       run_fmt},
      {"eval", "decide one request and print the decision",
       "usage: custos eval POLICY REQUEST.json [--consent-store FILE] [--explain] [--key-file "
       "FILE]\n\n"
       "Decides the request (JSON; `-` reads it from stdin) against the policy and\n"
       "prints the decision as JSON. Times default to now (UTC) unless the request\n"
       "gives context.time.\n\n"
       "  --consent-store FILE  consent records for requests that carry none\n"
       "  --explain             per item, every candidate rule and what became of it\n"
       "  --key-file FILE       pseudonym key file (created when missing)\n\n"
       "Exit: 0 whether allowed or denied; 1 on bad input (policy errors, an\n"
       "unreadable file, a malformed request, whose bad_request decision is printed).\n",
       run_eval},
      {"test", "run a policy's test cases",
       "usage: custos test POLICY CASES.json\n\n"
       "Runs each case of CASES.json, a JSON array of\n"
       "  {\"name\": ..., \"request\": {...}, \"expect\": {CATEGORY: EXPECTATION}}\n"
       "where EXPECTATION is \"allow\" (plain), \"allow as TRANSFORM\", \"deny\" (any\n"
       "reason) or \"deny REASON\". Optional per case: \"rules\": {CATEGORY: RULE_ID}\n"
       "(the rule each item must report) and \"allowed\": true|false. Names each\n"
       "failed case and what differed; the last line is `N passed, M failed`.\n\n"
       "Exit: 0 when every case passes, 1 otherwise.\n",
       run_test},
      {"consent", "record or show a subject's consent",
       "usage: custos consent grant|withdraw|object --store FILE --subject ID --purpose P\n"
       "                      [--at TIME] [--expires TIME] [--source TEXT]\n"
       "       custos consent show --store FILE --subject ID\n\n"
       "Appends a record to the consent store (created when missing); history is\n"
       "append-only. TIME is RFC 3339 (default: now, UTC); --expires applies to\n"
       "grants only. `show` prints the subject's history as JSON.\n\n"
       "Exit: 0 on success, 1 when the store or a value is bad, 2 on usage errors.\n",
       run_consent},
  };
  return kCommands;
}

}  // namespace custos::cli

int main(int argc, char** argv) {
  using namespace custos::cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    print_overview(stderr);
    return kExitUsage;
  }
  const std::string first = args.front();
  if (first == "--help" || first == "-h") {
    print_overview(stdout);
    return kExitOk;
  }
  if (first == "--version") {
    std::printf("custos %s\n", CUSTOS_VERSION_STRING);
    return kExitOk;
  }
  if (first == "help") {
    if (args.size() < 2) {
      print_overview(stdout);
      return kExitOk;
    }
    if (const Command* c = find_command(args[1])) {
      std::fputs(c->help, stdout);
      return kExitOk;
    }
    std::fprintf(stderr, "custos: no such command `%s`\n", args[1].c_str());
    return kExitUsage;
  }
  const Command* c = find_command(first);
  if (!c) {
    std::fprintf(stderr, "custos: no such command `%s` (see `custos --help`)\n", first.c_str());
    return kExitUsage;
  }
  args.erase(args.begin());
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      std::fputs(c->help, stdout);
      return kExitOk;
    }
  }
  return c->run(args);
}
