#include "policy/matrix.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "base/hierarchy.hpp"
#include "custos/limits.hpp"
#include "lang/formatter.hpp"

namespace custos::detail {

int reveal_rank(const Transform& t) {
  switch (t.kind) {
    case Transform::Kind::kPlain:
      return 2;
    case Transform::Kind::kHash:
      return 0;
    default:
      return 1;
  }
}

bool MatrixOutcome::operator==(const MatrixOutcome& o) const {
  return effect == o.effect && rule == o.rule && transform == o.transform &&
         conditions == o.conditions && consent == o.consent && retain == o.retain;
}

// ---- the matrix ----

AccessMatrix::AccessMatrix(std::shared_ptr<const lang::CheckedPolicy> policy)
    : policy_(std::move(policy)) {}

Result<std::unique_ptr<AccessMatrix>> AccessMatrix::build(
    std::shared_ptr<const lang::CheckedPolicy> policy) {
  std::unique_ptr<AccessMatrix> m(new AccessMatrix(std::move(policy)));
  if (Status s = m->index(); !s.ok()) return s;
  return m;
}

Status AccessMatrix::index() {
  const lang::CheckedPolicy& p = *policy_;
  const lang::Symbols& syms = p.symbols;
  leaves_ = index_leaves(syms.categories);
  roles_ = static_cast<std::uint32_t>(syms.roles.size());
  purposes_ = static_cast<std::uint32_t>(syms.purposes.size());
  const std::size_t leaves = leaves_.count();
  if (cell_count() > limits::kMaxDecisionCells) {
    return Status(StatusCode::kLimitExceeded,
                  "policy too large to tabulate: " + std::to_string(purposes_) + " purposes x " +
                      std::to_string(leaves) + " leaf categories");
  }
  for (std::uint32_t r = 0; r < roles_; ++r) {
    held_.push_back(reachable(static_cast<int>(r), roles_, [&](int x) -> const std::vector<int>& {
      return syms.roles[static_cast<std::size_t>(x)].parents;
    }));
    std::sort(held_.back().begin(), held_.back().end());
  }
  held_.emplace_back();  // the actor with no role holds none

  // The rule index: per (action, purpose, leaf), deny entries, then allow
  // entries, each in file order: the compiler's layout.
  struct Coverage {
    std::vector<std::uint32_t> purposes;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> leaves;
  };
  std::vector<Coverage> coverage;
  std::size_t total = 0;
  for (const lang::ResolvedRule& r : p.rules) {
    Coverage c;
    c.purposes = covered_purposes(r, syms);
    for (const auto& [leaf, t] : covered_leaves(r, leaves_)) {
      auto it = std::find(transforms_.begin(), transforms_.end(), t);
      if (it == transforms_.end()) it = transforms_.insert(transforms_.end(), t);
      c.leaves.emplace_back(leaf, static_cast<std::uint32_t>(it - transforms_.begin()));
    }
    total += (r.action == lang::Action::kUse ? 2 : 1) * c.purposes.size() * c.leaves.size();
    if (total > limits::kMaxRuleIndexEntries) {
      return Status(StatusCode::kLimitExceeded,
                    "policy too large to tabulate: its rules cover more than " +
                        std::to_string(limits::kMaxRuleIndexEntries) +
                        " (action, purpose, category) combinations");
    }
    coverage.push_back(std::move(c));
    conditional_.push_back(r.when != nullptr);
  }
  const auto visit = [&](auto&& place) {
    for (std::size_t r = 0; r < coverage.size(); ++r) {
      const lang::ResolvedRule& rule = p.rules[r];
      const bool deny = rule.effect == lang::Effect::kDeny;
      for (int action = 0; action < 2; ++action) {
        if (!lang::covers(rule.action, action == 0 ? lang::Action::kRead : lang::Action::kShare)) {
          continue;
        }
        for (auto purpose : coverage[r].purposes) {
          for (const auto& [leaf, t] : coverage[r].leaves) {
            place(static_cast<std::uint32_t>(r), deny, cell(action, purpose, leaf), t);
          }
        }
      }
    }
  };
  const std::size_t cells = cell_count();
  std::vector<std::uint32_t> denies(cells, 0), allows(cells, 0);
  visit([&](std::uint32_t, bool deny, std::size_t c, std::uint32_t) {
    (deny ? denies : allows)[c]++;
  });
  cell_begin_.assign(cells + 1, 0);
  cell_split_.assign(cells, 0);
  std::vector<std::uint32_t> deny_next(cells), allow_next(cells);
  std::uint32_t offset = 0;
  for (std::size_t c = 0; c < cells; ++c) {
    cell_begin_[c] = offset;
    cell_split_[c] = offset + denies[c];
    deny_next[c] = offset;
    allow_next[c] = cell_split_[c];
    offset = cell_split_[c] + allows[c];
  }
  cell_begin_[cells] = offset;
  entries_.resize(offset);
  visit([&](std::uint32_t r, bool deny, std::size_t c, std::uint32_t t) {
    entries_[(deny ? deny_next : allow_next)[c]++] = Entry{r, t};
  });

  // What a grant needs, per (purpose, leaf): consent and the retain rule.
  retain_ = retention_rules(p, leaves_);
  consent_.assign(static_cast<std::size_t>(purposes_) * leaves, ConsentNeed::kNone);
  for (std::uint32_t purpose = 0; purpose < purposes_; ++purpose) {
    const lang::Basis basis = syms.purposes[purpose].basis;
    for (std::uint32_t leaf = 0; leaf < leaves; ++leaf) {
      const bool sensitive = syms.categories[leaves_.category_of[leaf]].sensitive;
      consent_[purpose * leaves + leaf] =
          basis == lang::Basis::kConsent || sensitive ? ConsentNeed::kNeeded
          : basis == lang::Basis::kLegitimateInterest ? ConsentNeed::kObjectable
                                                      : ConsentNeed::kNone;
    }
  }
  return Status();
}

bool AccessMatrix::holds(std::uint32_t role, int other) const {
  const auto& held = held_[role];
  return std::binary_search(held.begin(), held.end(), other);
}

bool AccessMatrix::requestable(std::uint32_t purpose) const {
  return policy_->symbols.purposes[purpose].basis != lang::Basis::kNone;
}

std::uint32_t AccessMatrix::intern(MatrixOutcome o) {
  std::string key;
  key.reserve(32 + 4 * o.conditions.size());
  const auto put = [&key](std::int64_t v) {
    key.append(reinterpret_cast<const char*>(&v), sizeof v);
  };
  put(static_cast<int>(o.effect));
  put(o.rule);
  put(static_cast<int>(o.transform.kind));
  put(o.transform.argument);
  put(static_cast<int>(o.consent));
  put(o.retain);
  for (std::int32_t c : o.conditions) put(c);
  const auto [it, inserted] =
      outcome_ids_.emplace(std::move(key), static_cast<std::uint32_t>(outcomes_.size()));
  if (inserted) outcomes_.push_back(std::move(o));
  return it->second;
}

void AccessMatrix::role_table(std::uint32_t role, std::vector<std::uint32_t>& table) {
  const lang::CheckedPolicy& p = *policy_;
  // Which rules this role's actor matches: `*`, or one of the rule's roles
  // held by the role (itself or inherited).
  std::vector<char> matches(p.rules.size(), 0);
  for (std::size_t r = 0; r < p.rules.size(); ++r) {
    const lang::ResolvedRule& rule = p.rules[r];
    matches[r] = rule.any_role || std::any_of(rule.roles.begin(), rule.roles.end(),
                                              [&](int x) { return holds(role, x); });
  }
  const std::uint32_t leaves = leaves_.count();
  table.assign(cell_count(), 0);
  MatrixOutcome o;
  std::vector<std::int32_t> pending;  // conditional allows at the best rank so far
  for (int action = 0; action < 2; ++action) {
    for (std::uint32_t purpose = 0; purpose < purposes_; ++purpose) {
      for (std::uint32_t leaf = 0; leaf < leaves; ++leaf) {
        const std::size_t c = cell(action, purpose, leaf);
        o = MatrixOutcome{};
        // Deny rules: an unconditional one decides; conditional ones only
        // make an allow conditional.
        for (std::uint32_t i = cell_begin_[c]; i < cell_split_[c]; ++i) {
          const std::uint32_t r = entries_[i].rule;
          if (!matches[r]) continue;
          if (!conditional_[r]) {
            o.effect = MatrixEffect::kDeny;
            o.rule = static_cast<std::int32_t>(r);
            o.conditions.clear();
            break;
          }
          o.conditions.push_back(static_cast<std::int32_t>(r));
        }
        if (o.effect == MatrixEffect::kDeny) {
          table[c] = intern(std::move(o));
          continue;
        }
        // Allow rules: the most revealing; among those, the first in the
        // file, which decides when every condition holds. Until one without
        // a condition comes, the outcome rests on the conditions before it.
        int best = -1;
        bool certain = false;
        pending.clear();
        for (std::uint32_t i = cell_split_[c]; i < cell_begin_[c + 1]; ++i) {
          const Entry& e = entries_[i];
          if (!matches[e.rule]) continue;
          const int rank = reveal_rank(transforms_[e.transform]);
          const bool cond = conditional_[e.rule];
          if (rank > best) {
            best = rank;
            o.rule = static_cast<std::int32_t>(e.rule);
            o.transform = transforms_[e.transform];
            certain = !cond;
            pending.clear();
            if (cond) pending.push_back(static_cast<std::int32_t>(e.rule));
          } else if (rank == best && !certain) {
            if (cond) {
              pending.push_back(static_cast<std::int32_t>(e.rule));
            } else {
              certain = true;
            }
          }
        }
        if (best < 0) {
          table[c] = intern(MatrixOutcome{});  // no allow: conditional denies do not matter
          continue;
        }
        o.effect = MatrixEffect::kAllow;
        if (!pending.empty()) {
          o.conditions.insert(o.conditions.end(), pending.begin(), pending.end());
          std::sort(o.conditions.begin(), o.conditions.end());
        }
        o.consent = consent_[purpose * leaves + leaf];
        o.retain = retain_[purpose * leaves + leaf];
        table[c] = intern(std::move(o));
      }
    }
  }
}

MatrixOutcome AccessMatrix::item(const std::vector<std::uint32_t>& table, int action,
                                 std::uint32_t category, std::uint32_t purpose) const {
  const auto& leaves = leaves_.leaves_of[category];
  MatrixOutcome chosen;
  int chosen_rank = 3;
  std::vector<std::int32_t> conditions;
  ConsentNeed consent = ConsentNeed::kNone;
  std::int32_t retain = -1;
  for (std::uint32_t leaf : leaves) {
    const MatrixOutcome& o = outcomes_[table[cell(action, purpose, leaf)]];
    if (o.effect != MatrixEffect::kAllow) {
      // Denied for sure; but when an earlier leaf rests on a condition, the
      // engine may stop there, with another reason.
      MatrixOutcome denied = o;
      denied.conditions.insert(denied.conditions.end(), conditions.begin(), conditions.end());
      std::sort(denied.conditions.begin(), denied.conditions.end());
      denied.conditions.erase(std::unique(denied.conditions.begin(), denied.conditions.end()),
                              denied.conditions.end());
      return denied;
    }
    const int rank = reveal_rank(o.transform);
    if (rank < chosen_rank) chosen = o, chosen_rank = rank;
    conditions.insert(conditions.end(), o.conditions.begin(), o.conditions.end());
    consent = std::max(consent, o.consent);
    // Every leaf's retention applies: the shortest period limits the item.
    if (o.retain >= 0) {
      const auto& rs = policy_->retains;
      if (retain < 0 || rs[static_cast<std::size_t>(o.retain)].period <
                            rs[static_cast<std::size_t>(retain)].period) {
        retain = o.retain;
      }
    }
  }
  std::sort(conditions.begin(), conditions.end());
  conditions.erase(std::unique(conditions.begin(), conditions.end()), conditions.end());
  chosen.conditions = std::move(conditions);
  chosen.consent = consent;
  chosen.retain = retain;
  return chosen;
}

// ---- in words ----

Access describe_outcome(const lang::CheckedPolicy& policy, const MatrixOutcome& o) {
  Access a;
  a.effect = o.effect == MatrixEffect::kAllow  ? "allow"
             : o.effect == MatrixEffect::kDeny ? "deny"
                                               : "no_allow";
  if (o.rule >= 0) a.rule = policy.rules[static_cast<std::size_t>(o.rule)].id;
  for (std::int32_t c : o.conditions) {
    const lang::ResolvedRule& r = policy.rules[static_cast<std::size_t>(c)];
    const std::string expr = lang::format_expr(*r.when);
    a.conditions.push_back(std::string(r.effect == lang::Effect::kAllow ? "allow " : "deny ") +
                           r.id + " when " + expr);
    a.condition_texts.push_back(
        std::string(r.effect == lang::Effect::kAllow ? "allow when " : "deny when ") + expr);
  }
  std::sort(a.condition_texts.begin(), a.condition_texts.end());
  if (o.effect != MatrixEffect::kAllow) return a;
  a.transform = o.transform.to_string();
  a.rank = reveal_rank(o.transform);
  a.consent_level = static_cast<int>(o.consent);
  a.consent = o.consent == ConsentNeed::kNeeded       ? "needed"
              : o.consent == ConsentNeed::kObjectable ? "objectable"
                                                      : "none";
  if (o.retain >= 0) {
    const lang::ResolvedRetain& r = policy.retains[static_cast<std::size_t>(o.retain)];
    a.retention = std::to_string(r.written.count) + std::string(lang::unit_suffix(r.written.unit));
    a.retention_seconds = r.period;
  } else {
    a.retention = "unlimited";
  }
  return a;
}

std::string Access::key() const {
  std::string k =
      effect + '\x1f' + transform + '\x1f' + rule + '\x1f' + consent + '\x1f' + retention + '\x1f';
  for (const auto& c : conditions) k += c + '\x1e';
  return k;
}

// ---- grouping ----

namespace {

// Names for a set of universe entries: `*` for all of them, else for
// categories the shallowest names whose every leaf is in the set.
class Namer {
 public:
  Namer(const std::vector<std::string>& names, bool hierarchical, bool star)
      : names_(names), hierarchical_(hierarchical), star_(star) {
    if (!hierarchical_) return;
    for (const auto& n : names_) {
      for_each_prefix(n, [&](const std::string& p) { ++universe_[p]; });
    }
  }

  std::vector<std::string> operator()(const std::vector<std::uint32_t>& set) const {
    if (star_ && set.size() == names_.size() && !names_.empty()) return {"*"};
    std::vector<std::string> out;
    if (!hierarchical_) {
      for (auto i : set) out.push_back(names_[i]);
      return out;
    }
    std::unordered_map<std::string, std::size_t> in_set;
    for (auto i : set) for_each_prefix(names_[i], [&](const std::string& p) { ++in_set[p]; });
    std::vector<std::string> emitted;
    for (auto i : set) {
      std::string chosen;
      for_each_prefix(names_[i], [&](const std::string& p) {
        if (chosen.empty() && in_set.at(p) == universe_.at(p)) chosen = p;
      });
      if (std::find(emitted.begin(), emitted.end(), chosen) == emitted.end()) {
        emitted.push_back(chosen);
      }
    }
    return emitted;
  }

 private:
  // Calls f on `a`, `a.b`, `a.b.c` for `a.b.c`, shortest first.
  template <typename F>
  static void for_each_prefix(const std::string& name, F&& f) {
    std::size_t dot = 0;
    while ((dot = name.find('.', dot)) != std::string::npos) f(name.substr(0, dot++));
    f(name);
  }

  const std::vector<std::string>& names_;
  bool hierarchical_;
  bool star_;
  std::unordered_map<std::string, std::size_t> universe_;
};

// Interns sorted index lists.
class SetTable {
 public:
  std::uint32_t intern(const std::vector<std::uint32_t>& set) {
    std::string key(reinterpret_cast<const char*>(set.data()), set.size() * sizeof(std::uint32_t));
    const auto [it, inserted] =
        ids_.emplace(std::move(key), static_cast<std::uint32_t>(sets_.size()));
    if (inserted) sets_.push_back(set);
    return it->second;
  }
  const std::vector<std::uint32_t>& operator[](std::uint32_t id) const { return sets_[id]; }

 private:
  std::unordered_map<std::string, std::uint32_t> ids_;
  std::vector<std::vector<std::uint32_t>> sets_;
};

int effect_order(const Access& a) {
  return a.effect == "allow" ? 0 : a.effect == "deny" ? 1 : 2;
}

// Grouping in stages, each keyed by what is left: categories under one
// (role, action, purpose, outcome); purposes under one (role, action,
// outcome, categories); actions; roles.
class Grouper {
 public:
  Grouper(const Universe& u, const std::vector<Access>& accesses) : u_(u), accesses_(accesses) {}

  // The cells of one (role, action, purpose), as (outcome, category).
  void add_block(std::uint32_t role, std::uint8_t action, std::uint32_t purpose,
                 std::vector<std::pair<std::uint64_t, std::uint32_t>>& cells) {
    std::sort(cells.begin(), cells.end());
    std::vector<std::uint32_t> set;
    for (std::size_t i = 0; i < cells.size();) {
      std::size_t j = i;
      set.clear();
      while (j < cells.size() && cells[j].first == cells[i].first) set.push_back(cells[j++].second);
      const std::uint32_t cats = categories_.intern(set);
      by_categories_[std::make_tuple(role, action, cells[i].first, cats)].push_back(purpose);
      i = j;
    }
  }

  std::vector<MatrixRow> finish() {
    // (role, outcome, categories, purposes) -> actions
    std::map<std::tuple<std::uint32_t, std::uint64_t, std::uint32_t, std::uint32_t>, int> actions;
    for (auto& [key, purposes] : by_categories_) {
      const auto& [role, action, outcome, cats] = key;
      std::sort(purposes.begin(), purposes.end());
      actions[std::make_tuple(role, outcome, cats, purposes_.intern(purposes))] |= 1 << action;
    }
    // (action word, outcome, categories, purposes) -> roles
    std::map<std::tuple<int, std::uint64_t, std::uint32_t, std::uint32_t>,
             std::vector<std::uint32_t>>
        roles;
    for (const auto& [key, bits] : actions) {
      const auto& [role, outcome, cats, purposes] = key;
      roles[std::make_tuple(bits, outcome, cats, purposes)].push_back(role);
    }
    const Namer category_names(u_.categories, true, u_.star_categories);
    const Namer purpose_names(u_.purposes, false, u_.star_purposes);
    const Namer role_names(u_.roles, false, u_.star_roles);
    struct Sorted {
      std::tuple<std::uint32_t, int, int, std::uint32_t, std::uint32_t, std::uint64_t> order;
      MatrixRow row;
    };
    std::vector<Sorted> sorted;
    for (auto& [key, role_list] : roles) {
      const auto& [bits, outcome, cats, purposes] = key;
      std::sort(role_list.begin(), role_list.end());
      MatrixRow row;
      row.roles = role_names(role_list);
      row.action = bits == 3 ? "use" : bits == 1 ? "read" : "share";
      row.categories = category_names(categories_[cats]);
      row.purposes = purpose_names(purposes_[purposes]);
      row.access = static_cast<std::uint32_t>(outcome & 0xFFFFFFFFu);
      row.from = static_cast<std::int32_t>(outcome >> 32) - 1;
      const int action_order = bits == 3 ? 0 : bits == 1 ? 1 : 2;
      sorted.push_back(Sorted{
          std::make_tuple(role_list.front(), action_order, effect_order(accesses_[row.access]),
                          categories_[cats].front(), purposes_[purposes].front(), outcome),
          std::move(row)});
    }
    std::sort(sorted.begin(), sorted.end(),
              [](const Sorted& a, const Sorted& b) { return a.order < b.order; });
    std::vector<MatrixRow> out;
    out.reserve(sorted.size());
    for (auto& s : sorted) out.push_back(std::move(s.row));
    return out;
  }

 private:
  const Universe& u_;
  const std::vector<Access>& accesses_;
  SetTable categories_, purposes_;
  std::map<std::tuple<std::uint32_t, std::uint8_t, std::uint64_t, std::uint32_t>,
           std::vector<std::uint32_t>>
      by_categories_;
};

std::uint64_t outcome_key(std::uint32_t access, std::int32_t from) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(from + 1)) << 32) | access;
}

}  // namespace

std::vector<MatrixRow> group_cells(std::vector<MatrixCell> cells, const Universe& universe,
                                   const std::vector<Access>& accesses) {
  std::sort(cells.begin(), cells.end(), [](const MatrixCell& a, const MatrixCell& b) {
    return std::tie(a.role, a.action, a.purpose) < std::tie(b.role, b.action, b.purpose);
  });
  Grouper g(universe, accesses);
  std::vector<std::pair<std::uint64_t, std::uint32_t>> block;
  for (std::size_t i = 0; i < cells.size();) {
    std::size_t j = i;
    block.clear();
    while (j < cells.size() && cells[j].role == cells[i].role &&
           cells[j].action == cells[i].action && cells[j].purpose == cells[i].purpose) {
      block.emplace_back(outcome_key(cells[j].access, cells[j].from), cells[j].category);
      ++j;
    }
    g.add_block(cells[i].role, cells[i].action, cells[i].purpose, block);
    i = j;
  }
  return g.finish();
}

Result<MatrixTable> build_matrix_table(AccessMatrix& matrix, const MatrixFilter& filter) {
  const lang::CheckedPolicy& p = matrix.policy();
  const lang::Symbols& syms = p.symbols;
  Universe u;
  std::vector<std::uint32_t> roles, purposes;
  for (std::uint32_t r = 0; r < matrix.no_role(); ++r) {
    if (filter.role && *filter.role != r) continue;
    roles.push_back(r);
    u.roles.push_back(syms.roles[r].name);
  }
  for (std::uint32_t q = 0; q < matrix.purpose_count(); ++q) {
    if (!matrix.requestable(q)) continue;
    if (filter.purpose &&
        !is_ancestor_or_self(
            [&](int n) { return syms.purposes[static_cast<std::size_t>(n)].parent; },
            static_cast<int>(*filter.purpose), static_cast<int>(q))) {
      continue;
    }
    purposes.push_back(q);
    u.purposes.push_back(syms.purposes[q].name);
  }
  const LeafIndex& leaves = matrix.leaves();
  for (std::uint32_t c : leaves.category_of) u.categories.push_back(syms.categories[c].name);
  u.star_roles = !filter.role;
  u.star_purposes = !filter.purpose;
  if (roles.size() * 2 * purposes.size() * leaves.count() > kMaxMatrixCells) {
    return Status(StatusCode::kLimitExceeded, "the matrix would have more than " +
                                                  std::to_string(kMaxMatrixCells) +
                                                  " cells: choose a role or a purpose");
  }

  MatrixTable out;
  std::unordered_map<std::string, std::uint32_t> access_ids;
  std::vector<std::int64_t> access_of;  // outcome id -> access index, -1 unknown
  Grouper g(u, out.accesses);
  std::vector<std::uint32_t> table;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> block;
  for (std::uint32_t ri = 0; ri < roles.size(); ++ri) {
    matrix.role_table(roles[ri], table);
    for (std::uint8_t action = 0; action < 2; ++action) {
      for (std::uint32_t pi = 0; pi < purposes.size(); ++pi) {
        block.clear();
        for (std::uint32_t leaf = 0; leaf < leaves.count(); ++leaf) {
          const std::uint32_t id = table[matrix.cell(action, purposes[pi], leaf)];
          if (id >= access_of.size()) access_of.resize(id + 1, -1);
          if (access_of[id] < 0) {
            Access a = describe_outcome(p, matrix.outcome(id));
            const auto [it, inserted] =
                access_ids.emplace(a.key(), static_cast<std::uint32_t>(out.accesses.size()));
            if (inserted) out.accesses.push_back(std::move(a));
            access_of[id] = it->second;
          }
          block.emplace_back(outcome_key(static_cast<std::uint32_t>(access_of[id]), -1), leaf);
        }
        g.add_block(ri, action, pi, block);
      }
    }
  }
  out.rows = g.finish();
  return out;
}

}  // namespace custos::detail
