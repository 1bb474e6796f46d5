// custos fmt: print (or rewrite) a policy in canonical form.
#include <cstdio>

#include "base/file.hpp"
#include "cli/commands.hpp"
#include "custos/limits.hpp"
#include "lang/diagnostics.hpp"
#include "lang/formatter.hpp"

namespace custos::cli {

int run_fmt(const std::vector<std::string>& raw) {
  const auto args = parse_args(raw, "fmt", {}, {"write", "check"});
  if (!args) return kExitUsage;
  if (args->positional.size() != 1) {
    std::fprintf(stderr,
                 "custos fmt: give exactly one policy (usage: custos fmt POLICY [--write])\n");
    return kExitUsage;
  }
  const std::string& path = args->positional.front();
  auto text = detail::read_file(path, limits::kMaxPolicyBytes);
  if (!text.ok()) {
    std::fprintf(stderr, "custos fmt: %s\n", text.status().message().c_str());
    return kExitBadInput;
  }
  const lang::SourceFile file(path, std::move(*text));
  lang::DiagnosticSink sink(file);
  const auto parsed = lang::parse(file, sink);
  if (sink.has_errors()) {
    // Only syntax errors stop formatting; a policy with undeclared names is
    // still worth tidying.
    for (const auto& d : sink.take()) {
      if (d.is_error()) std::fputs(d.to_string().c_str(), stderr);
    }
    std::fprintf(stderr, "custos fmt: %s has syntax errors; nothing was formatted\n", path.c_str());
    return kExitBadInput;
  }
  const std::string formatted = lang::format_policy(file, parsed);
  if (args->has("check")) {
    if (formatted == file.text()) return kExitOk;
    std::fprintf(stderr, "%s: not in canonical form (run `custos fmt --write %s`)\n", path.c_str(),
                 path.c_str());
    return kExitBadInput;
  }
  if (args->has("write")) {
    if (formatted == file.text()) return kExitOk;
    const Status s = detail::write_file_atomic(path, formatted);
    if (!s.ok()) {
      std::fprintf(stderr, "custos fmt: %s\n", s.message().c_str());
      return kExitBadInput;
    }
    return kExitOk;
  }
  std::fputs(formatted.c_str(), stdout);
  return kExitOk;
}

}  // namespace custos::cli
