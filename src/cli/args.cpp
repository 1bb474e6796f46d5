// The argument parser shared by the subcommands.
#include <cstdio>

#include "cli/commands.hpp"

namespace custos::cli {

bool Args::has(const std::string& name) const {
  for (const auto& s : switches) {
    if (s == name) return true;
  }
  return options.count(name) > 0 || lists.count(name) > 0;
}

std::vector<std::string> Args::list(const std::string& name) const {
  const auto it = lists.find(name);
  return it == lists.end() ? std::vector<std::string>{} : it->second;
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
  // A name in `options` ending in `...` may be given several times.
  const auto repeatable = [&](const std::string& name) {
    for (const auto& o : options) {
      if (o.size() == name.size() + 3 && o.compare(0, name.size(), name) == 0 &&
          o.compare(name.size(), 3, "...") == 0) {
        return true;
      }
    }
    return false;
  };
  bool only_positionals = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (!only_positionals && a == "--") {
      only_positionals = true;  // everything after `--` is an operand
      continue;
    }
    if (only_positionals || a.size() < 3 || a.compare(0, 2, "--") != 0) {
      out.positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::optional<std::string> value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const bool is_switch = known(switches, name) && !value;
    const bool is_option = known(options, name) || repeatable(name);
    // A repeated option silently taking the last value would hide a typo or
    // an injected argument: refuse it (except for list options).
    if ((is_switch || is_option) && !repeatable(name) && out.has(name)) {
      std::fprintf(stderr, "custos %s: --%s is given more than once\n", command, name.c_str());
      return std::nullopt;
    }
    if (is_switch) {
      out.switches.push_back(name);
    } else if (is_option) {
      if (!value) {
        if (i + 1 >= args.size()) {
          std::fprintf(stderr, "custos %s: --%s needs a value\n", command, name.c_str());
          return std::nullopt;
        }
        value = args[++i];
      }
      if (repeatable(name)) {
        out.lists[name].push_back(*value);
      } else {
        out.options[name] = *value;
      }
    } else {
      std::fprintf(stderr, "custos %s: unknown option `%s` (see `custos help %s`)\n", command,
                   a.c_str(), command);
      return std::nullopt;
    }
  }
  return out;
}

}  // namespace custos::cli
