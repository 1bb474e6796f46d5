// custos fmt: print (or rewrite) a policy in canonical form.
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/file.hpp"
#include "cli/commands.hpp"
#include "cli/fmt_guard.hpp"
#include "custos/limits.hpp"
#include "lang/diagnostics.hpp"
#include "lang/formatter.hpp"
#include "lang/lexer.hpp"

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
  // Formatting changes layout, never content: the output must lex to the
  // same tokens and comments as the input. If it does not, that is a bug in
  // the formatter, and nothing is printed or written.
  const lang::SourceFile out_file(path, formatted);
  lang::DiagnosticSink out_sink(out_file);
  const lang::LexedSource relexed = lang::lex(out_file, out_sink);
  std::string difference = out_sink.has_errors()
                               ? "the output does not lex cleanly"
                               : content_difference(file, parsed.lexed, out_file, relexed);
  if (!difference.empty()) {
    std::fprintf(stderr,
                 "custos fmt: internal error: formatting %s would change its content (%s); "
                 "nothing was written. Please report this bug.\n",
                 path.c_str(), difference.c_str());
    return kExitBadInput;
  }
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
  // With the size: the text is never cut short at a byte that ends a C string.
  if (std::fwrite(formatted.data(), 1, formatted.size(), stdout) != formatted.size() ||
      std::fflush(stdout) != 0) {
    std::fprintf(stderr, "custos fmt: cannot write to standard output: %s\n", std::strerror(errno));
    return kExitBadInput;
  }
  return kExitOk;
}

}  // namespace custos::cli
