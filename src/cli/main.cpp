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
