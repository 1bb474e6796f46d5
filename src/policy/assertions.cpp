#include "policy/assertions.hpp"

#include <algorithm>

#include "base/hierarchy.hpp"
#include "lang/diagnostics.hpp"

namespace custos::detail {
namespace {

std::string quote(std::string_view s) {
  return "`" + std::string(s) + "`";
}

// The requests an assertion speaks of.
struct Scope {
  std::vector<char> roles;  // by role index, the actor with no role last
  std::vector<int> actions;
  std::vector<std::uint32_t> leaves;    // in leaf order
  std::vector<std::uint32_t> purposes;  // requestable, in node order
};

Scope scope_of(const lang::ResolvedAssertion& a, const AccessMatrix& m) {
  const lang::Symbols& syms = m.policy().symbols;
  Scope s;
  s.roles.assign(m.role_count(), 0);
  for (std::uint32_t r = 0; r < m.role_count(); ++r) {
    // As in rules: a listed role covers every role that holds it; `*` every
    // actor, one with no role included.
    s.roles[r] = a.any_role ||
                 std::any_of(a.roles.begin(), a.roles.end(), [&](int x) { return m.holds(r, x); });
  }
  if (lang::covers(a.action, lang::Action::kRead)) s.actions.push_back(0);
  if (lang::covers(a.action, lang::Action::kShare)) s.actions.push_back(1);
  const LeafIndex& leaves = m.leaves();
  if (a.any_category) {
    for (std::uint32_t l = 0; l < leaves.count(); ++l) s.leaves.push_back(l);
  } else {
    for (int c : a.categories) {
      const auto& ls = leaves.leaves_of[static_cast<std::size_t>(c)];
      s.leaves.insert(s.leaves.end(), ls.begin(), ls.end());
    }
    std::sort(s.leaves.begin(), s.leaves.end());
    s.leaves.erase(std::unique(s.leaves.begin(), s.leaves.end()), s.leaves.end());
  }
  const auto parent_of = [&syms](int n) {
    return syms.purposes[static_cast<std::size_t>(n)].parent;
  };
  for (std::uint32_t p = 0; p < m.purpose_count(); ++p) {
    if (!m.requestable(p)) continue;
    if (a.any_purpose || std::any_of(a.purposes.begin(), a.purposes.end(), [&](int x) {
          return is_ancestor_or_self(parent_of, x, static_cast<int>(p));
        })) {
      s.purposes.push_back(p);
    }
  }
  return s;
}

bool breaks(const lang::ResolvedAssertion& a, const MatrixOutcome& o) {
  if (o.effect != MatrixEffect::kAllow) return false;
  switch (a.kind) {
    case lang::AssertKind::kNever:
      return true;
    case lang::AssertKind::kConsent:
      return o.consent != ConsentNeed::kNeeded;
    case lang::AssertKind::kAtMost:
      return reveal_rank(o.transform) > reveal_rank(a.at_most);
  }
  return false;
}

struct Counterexample {
  std::uint32_t role = 0;
  int action = 0;
  std::uint32_t leaf = 0;
  std::uint32_t purpose = 0;
  MatrixOutcome outcome;
  std::size_t count = 0;  // every broken request of the scope
};

const char* error_id(lang::AssertKind kind) {
  switch (kind) {
    case lang::AssertKind::kNever:
      return "E060";
    case lang::AssertKind::kConsent:
      return "E061";
    case lang::AssertKind::kAtMost:
      return "E062";
  }
  return "E060";
}

void report(lang::DiagnosticSink& sink, const AccessMatrix& m, const lang::ResolvedAssertion& a,
            const Counterexample& c) {
  const lang::CheckedPolicy& p = m.policy();
  const lang::Symbols& syms = p.symbols;
  const std::string who =
      c.role == m.no_role() ? "an actor with no role" : "role " + quote(syms.roles[c.role].name);
  const std::string category = syms.categories[m.leaves().category_of[c.leaf]].name;
  const std::string& purpose = syms.purposes[c.purpose].name;
  std::string message = "assertion fails: " + who + " can " + (c.action == 0 ? "read " : "share ") +
                        quote(category) + " for " + quote(purpose);
  const MatrixOutcome& o = c.outcome;
  switch (a.kind) {
    case lang::AssertKind::kNever:
      break;
    case lang::AssertKind::kConsent:
      message += " without consent (" + quote(purpose) + " has basis " +
                 std::string(lang::basis_name(syms.purposes[c.purpose].basis)) + ")";
      break;
    case lang::AssertKind::kAtMost:
      message +=
          " as " + o.transform.to_string() + ", which reveals more than " + a.at_most.to_string();
      break;
  }
  const lang::ResolvedRule& rule = p.rules[static_cast<std::size_t>(o.rule)];
  std::string hint = "rule " + quote(rule.id) + " allows it";
  if (rule.when) {
    hint += " when its condition holds";
  } else if (o.conditional()) {
    hint += " unless a deny rule's condition holds";
  }
  if (c.count > 1) {
    hint += "; " + std::to_string(c.count - 1) +
            (c.count == 2 ? " more request in the assertion's scope breaks it too"
                          : " more requests in the assertion's scope break it too") +
            " (`custos matrix` shows them)";
  }
  sink.error(error_id(a.kind), a.span, std::move(message), std::move(hint));
}

}  // namespace

std::vector<Diagnostic> verify_assertions(AccessMatrix& m) {
  const lang::CheckedPolicy& p = m.policy();
  lang::DiagnosticSink sink(*p.source);
  if (p.assertions.empty()) return {};
  std::vector<Scope> scopes;
  for (const auto& a : p.assertions) scopes.push_back(scope_of(a, m));
  std::vector<Counterexample> found(p.assertions.size());
  // Role by role, one table at a time: the first counterexample of each
  // assertion is the first in (role, action, category, purpose) order.
  std::vector<std::uint32_t> table;
  for (std::uint32_t r = 0; r < m.role_count(); ++r) {
    bool needed = false;
    for (const auto& s : scopes) needed = needed || s.roles[r];
    if (!needed) continue;
    m.role_table(r, table);
    for (std::size_t i = 0; i < scopes.size(); ++i) {
      const Scope& s = scopes[i];
      if (!s.roles[r]) continue;
      for (int action : s.actions) {
        for (std::uint32_t leaf : s.leaves) {
          for (std::uint32_t purpose : s.purposes) {
            const MatrixOutcome& o = m.outcome(table[m.cell(action, purpose, leaf)]);
            if (!breaks(p.assertions[i], o)) continue;
            Counterexample& c = found[i];
            if (c.count++ == 0) c = Counterexample{r, action, leaf, purpose, o, 1};
          }
        }
      }
    }
  }
  for (std::size_t i = 0; i < found.size(); ++i) {
    if (found[i].count > 0) report(sink, m, p.assertions[i], found[i]);
  }
  return sink.take();
}

lang::Analysis analyze_policy(std::string name, std::string text, const lang::Schema* schema) {
  lang::Analysis a = lang::analyze(std::move(name), std::move(text), schema);
  if (!a.policy || a.policy->assertions.empty()) return a;
  std::vector<Diagnostic> errors;
  auto matrix = AccessMatrix::build(a.policy);
  if (!matrix.ok()) {
    Diagnostic d;
    d.severity = Severity::kError;
    d.id = "E012";
    d.file = a.policy->source->name();
    d.message = matrix.status().message() + ": its assertions cannot be checked";
    errors.push_back(std::move(d));
  } else {
    errors = verify_assertions(**matrix);
  }
  if (errors.empty()) return a;
  a.error_count += errors.size();
  a.diagnostics.insert(a.diagnostics.end(), errors.begin(), errors.end());
  // Source order, as every diagnostic list; the note on suppressed ones stays last.
  std::stable_sort(a.diagnostics.begin(), a.diagnostics.end(),
                   [](const Diagnostic& x, const Diagnostic& y) {
                     const bool xn = x.id == "E099", yn = y.id == "E099";
                     if (xn != yn) return yn;
                     return x.line != y.line ? x.line < y.line : x.column < y.column;
                   });
  a.policy = nullptr;
  return a;
}

}  // namespace custos::detail
