// custos check: report every error and warning of a policy, then summarise it.
#include <cstdio>
#include <variant>

#include "base/file.hpp"
#include "cli/commands.hpp"
#include "cli/schema.hpp"
#include "custos/limits.hpp"
#include "lang/checker.hpp"
#include "policy/assertions.hpp"
#include "policy/compiled_policy.hpp"

namespace custos::cli {
namespace {

std::string plural(std::size_t n, const std::string& word, const std::string& words = "") {
  return std::to_string(n) + " " + (n == 1 ? word : words.empty() ? word + "s" : words);
}

std::string summary(const lang::CheckedPolicy& p) {
  const auto& s = p.symbols;
  std::size_t categories = 0, sensitive = 0, purposes = 0;
  for (const auto& c : s.categories) {
    if (c.is_explicit) ++categories, sensitive += c.sensitive;
  }
  for (const auto& pu : s.purposes) purposes += pu.is_explicit;
  std::size_t allows = 0, denies = 0, retains = 0, tables = 0, public_tables = 0;
  for (const auto& stmt : p.parsed.ast.statements) {
    if (const auto* r = std::get_if<lang::Rule>(&stmt.node)) {
      (r->effect == lang::Effect::kAllow ? allows : denies) += 1;
    } else if (std::holds_alternative<lang::RetainRule>(stmt.node)) {
      ++retains;
    } else if (const auto* t = std::get_if<lang::TableBinding>(&stmt.node)) {
      ++tables;
      public_tables += t->is_public;
    }
  }
  const std::string assertions =
      p.assertions.empty() ? "" : ", " + plural(p.assertions.size(), "assertion");
  return "policy \"" + p.name + "\" version " + std::to_string(p.version) + ": " +
         plural(categories, "category", "categories") + " (" + std::to_string(sensitive) +
         " sensitive), " + plural(purposes, "purpose") + ", " + plural(s.roles.size(), "role") +
         ", " + plural(s.attributes.size(), "attribute") + ", " + plural(allows + denies, "rule") +
         " (" + std::to_string(allows) + " allow, " + std::to_string(denies) + " deny), " +
         plural(retains, "retention rule") + ", " + plural(tables, "table binding") + " (" +
         std::to_string(public_tables) + " public)" + assertions;
}

}  // namespace

int run_check(const std::vector<std::string>& raw) {
  const auto args = parse_args(raw, "check", {"db"}, {});
  if (!args) return kExitUsage;
  if (args->positional.empty()) {
    std::fprintf(stderr,
                 "custos check: no policy given (usage: custos check POLICY... [--db FILE])\n");
    return kExitUsage;
  }
  std::optional<lang::Schema> schema;
  if (const auto db = args->option("db")) {
    auto loaded = load_schema(*db);
    if (!loaded.ok()) {
      std::fprintf(stderr, "custos check: %s\n", loaded.status().message().c_str());
      return kExitBadInput;
    }
    schema = std::move(*loaded);
  }
  int exit_code = kExitOk;
  for (const auto& path : args->positional) {
    auto text = detail::read_file(path, limits::kMaxPolicyBytes);
    if (!text.ok()) {
      std::fprintf(stderr, "custos check: %s\n", text.status().message().c_str());
      exit_code = kExitBadInput;
      continue;
    }
    const auto analysis =
        detail::analyze_policy(path, std::move(*text), schema ? &*schema : nullptr);
    for (const auto& d : analysis.diagnostics) std::fputs(d.to_string().c_str(), stderr);
    const std::size_t errors = analysis.error_count;
    const std::size_t warnings = analysis.warning_count;
    if (!analysis.policy) {
      std::fprintf(stderr, "%s: %s, %s\n", path.c_str(), plural(errors, "error").c_str(),
                   plural(warnings, "warning").c_str());
      exit_code = kExitBadInput;
      continue;
    }
    // A policy that checks may still be too large to compile (limits.hpp):
    // say so here, not first when an engine loads it.
    if (auto compiled = detail::compile_policy(*analysis.policy); !compiled.ok()) {
      std::fprintf(stderr, "%s: error: %s\n", path.c_str(), compiled.status().message().c_str());
      exit_code = kExitBadInput;
      continue;
    }
    std::printf("%s: ok%s: %s\n", path.c_str(),
                warnings ? (" with " + plural(warnings, "warning")).c_str() : "",
                summary(*analysis.policy).c_str());
  }
  return exit_code;
}

}  // namespace custos::cli
