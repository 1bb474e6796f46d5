// Compiles a checked policy (lang::CheckedPolicy) into the decision
// structure of compiled_policy.hpp.
#include <algorithm>
#include <set>

#include "base/hierarchy.hpp"
#include "crypto/crypto.hpp"
#include "custos/limits.hpp"
#include "policy/compiled_policy.hpp"
#include "policy/coverage.hpp"

namespace custos::detail {
namespace {

// Reads the checker's resolved rules: every name is an id already, so the
// compiler never looks one up.
class PolicyCompiler {
 public:
  explicit PolicyCompiler(const lang::CheckedPolicy& checked)
      : checked_(checked), syms_(checked.symbols), out_(std::make_unique<CompiledPolicy>()) {}

  Result<std::unique_ptr<CompiledPolicy>> run() {
    out_->name = checked_.name;  // the checker keeps it within kMaxPolicyNameBytes
    std::copy_n(out_->name.data(), std::min(out_->name.size(), limits::kMaxPolicyNameBytes),
                out_->name_chars.data());
    out_->version = checked_.version;
    out_->sha256 = crypto::sha256(checked_.source->text());
    out_->sha256_hex = crypto::to_hex(out_->sha256.data(), out_->sha256.size());
    out_->source_name = checked_.source->name();
    names();
    roles();
    rules();
    if (Status s = index(); !s.ok()) return s;
    retention();
    tables();
    out_->category_table = NameTable(out_->category_names);
    out_->purpose_table = NameTable(out_->purpose_names);
    out_->role_table = NameTable(out_->role_names);
    out_->attributes.by_path.clear();  // only the compiler looks paths up
    return std::move(out_);
  }

 private:
  void names() {
    const auto& cats = syms_.categories;
    for (std::uint32_t i = 0; i < cats.size(); ++i) out_->category_names.push_back(cats[i].name);
    leaves_ = index_leaves(cats);
    out_->leaf_index = leaves_.leaf_of;
    out_->leaves_of = leaves_.leaves_of;
    out_->leaf_category = leaves_.category_of;
    for (std::uint32_t c : leaves_.category_of) out_->leaf_sensitive.push_back(cats[c].sensitive);
    out_->leaf_count = leaves_.count();

    for (const auto& p : syms_.purposes) {
      out_->purpose_names.push_back(p.name);
      out_->purpose_parent.push_back(p.parent);
      out_->purpose_depth.push_back(p.depth);
      out_->purpose_basis.push_back(p.basis);
      out_->purpose_tcf.push_back(p.tcf);
      out_->purpose_gpc.push_back(p.gpc);
    }
    out_->signals = checked_.signals;
  }

  void roles() {
    const std::size_t count = syms_.roles.size();
    out_->role_words = std::max<std::uint32_t>(1, static_cast<std::uint32_t>((count + 63) / 64));
    const std::uint32_t w = out_->role_words;
    out_->role_closure.assign(count * w, 0);
    for (std::size_t r = 0; r < count; ++r) {
      out_->role_names.push_back(syms_.roles[r].name);
      std::uint64_t* held = &out_->role_closure[r * w];
      const auto parents_of = [this](int x) -> const std::vector<int>& {
        return syms_.roles[static_cast<std::size_t>(x)].parents;
      };
      for (int x : reachable(static_cast<int>(r), count, parents_of)) {
        held[x / 64] |= std::uint64_t{1} << (x % 64);
      }
    }
  }

  std::uint32_t intern_transform(const Transform& t) {
    for (std::uint32_t i = 0; i < out_->transforms.size(); ++i) {
      if (out_->transforms[i] == t) return i;
    }
    out_->transforms.push_back(t);
    return static_cast<std::uint32_t>(out_->transforms.size() - 1);
  }

  void rules() {
    out_->transforms.push_back(Transform{});  // index 0: plain
    for (const lang::ResolvedRule& r : checked_.rules) {
      CompiledRule rule;
      out_->rule_ids.push_back(r.id);
      rule.is_deny = r.effect == lang::Effect::kDeny;
      rule.actions = r.action;
      rule.role_begin = static_cast<std::uint32_t>(out_->role_lists.size());
      if (r.any_role) {
        rule.role_count = CompiledRule::kAnyRole;
      } else {
        for (int role : r.roles) out_->role_lists.push_back(static_cast<std::uint32_t>(role));
        rule.role_count = static_cast<std::uint16_t>(r.roles.size());
      }
      if (r.when) {
        rule.condition = static_cast<std::int32_t>(out_->conditions.size());
        out_->conditions.push_back(compile_condition(*r.when, out_->attributes, syms_));
      }
      out_->rules.push_back(rule);
    }
  }

  // For each leaf a rule covers: the interned transform of the most
  // specific item.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> interned_leaves(
      const lang::ResolvedRule& r) {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
    for (const auto& [leaf, t] : covered_leaves(r, leaves_)) {
      out.emplace_back(leaf, intern_transform(t));
    }
    return out;
  }

  Status index() {
    const std::size_t purposes = syms_.purposes.size();
    const std::size_t leaves = out_->leaf_count;
    const std::size_t cell_count = 2 * purposes * leaves;
    if (cell_count > limits::kMaxDecisionCells) {
      return Status(StatusCode::kLimitExceeded,
                    "policy too large to index: " + std::to_string(purposes) + " purposes x " +
                        std::to_string(leaves) + " leaf categories exceed the limit of " +
                        std::to_string(limits::kMaxDecisionCells / 2) + " pairs");
    }
    struct Coverage {
      std::vector<std::uint32_t> purposes;
      std::vector<std::pair<std::uint32_t, std::uint32_t>> leaves;
    };
    std::vector<Coverage> coverage;
    std::size_t total = 0;
    for (const auto& r : checked_.rules) {
      Coverage c{covered_purposes(r, syms_), interned_leaves(r)};
      const std::size_t actions = r.action == lang::Action::kUse ? 2 : 1;
      total += actions * c.purposes.size() * c.leaves.size();
      if (total > limits::kMaxRuleIndexEntries) {
        return Status(StatusCode::kLimitExceeded,
                      "policy too large to index: its rules cover more than " +
                          std::to_string(limits::kMaxRuleIndexEntries) +
                          " (action, purpose, category) combinations");
      }
      coverage.push_back(std::move(c));
    }
    // Count, then place: deny entries first in each cell, each group in
    // source order. `visit` walks every (rule, cell, transform) placement.
    const auto cell_of = [&](int action, std::uint32_t p, std::uint32_t leaf) {
      return (static_cast<std::size_t>(action) * purposes + p) * leaves + leaf;
    };
    const auto visit = [&](auto&& place) {
      for (std::size_t r = 0; r < coverage.size(); ++r) {
        const CompiledRule& rule = out_->rules[r];
        for (int action = 0; action < 2; ++action) {
          if (!lang::covers(rule.actions, action == 0 ? lang::Action::kRead : lang::Action::kShare))
            continue;
          for (auto p : coverage[r].purposes) {
            for (const auto& [leaf, t] : coverage[r].leaves) {
              place(r, rule.is_deny, cell_of(action, p, leaf), t);
            }
          }
        }
      }
    };
    std::vector<std::uint32_t> deny_count(cell_count, 0), allow_count(cell_count, 0);
    visit([&](std::size_t, bool is_deny, std::size_t c, std::uint32_t) {
      (is_deny ? deny_count : allow_count)[c]++;
    });
    out_->cells.resize(cell_count + 1);  // + the sentinel, whose begin ends the last cell
    std::uint32_t offset = 0;
    std::vector<std::uint32_t> deny_next(cell_count), allow_next(cell_count);
    for (std::size_t c = 0; c < cell_count; ++c) {
      Cell& cell = out_->cells[c];
      cell.begin = offset;
      cell.split = offset + deny_count[c];
      deny_next[c] = cell.begin;
      allow_next[c] = cell.split;
      offset = cell.split + allow_count[c];
    }
    out_->cells[cell_count] = Cell{offset, offset};
    out_->entries.resize(offset);
    visit([&](std::size_t r, bool is_deny, std::size_t c, std::uint32_t t) {
      std::uint32_t& next = is_deny ? deny_next[c] : allow_next[c];
      out_->entries[next++] = CellEntry{static_cast<std::uint32_t>(r), t};
    });
    return Status();
  }

  void retention() {
    out_->retention_rule = retention_rules(checked_, leaves_);
    out_->retention.assign(out_->retention_rule.size(), -1);
    for (std::size_t i = 0; i < out_->retention_rule.size(); ++i) {
      const std::int32_t r = out_->retention_rule[i];
      if (r >= 0) out_->retention[i] = checked_.retains[static_cast<std::size_t>(r)].period;
    }
    // How explanations name a retain rule: where it is and what it says.
    const std::string file = checked_.source->base_name();
    for (const lang::ResolvedRetain& r : checked_.retains) {
      out_->retain_names.push_back(file + ":" + std::to_string(r.line));
      out_->retain_periods.push_back(std::to_string(r.written.count) +
                                     std::string(lang::unit_suffix(r.written.unit)));
    }
  }

  void tables() {
    for (const lang::ResolvedTable& t : checked_.tables) {
      CompiledTable table{t, {}};
      for (const auto& [path, column] : t.attributes) {
        const auto it = out_->attributes.by_path.find(path);
        table.attribute_slots.push_back(
            it == out_->attributes.by_path.end() ? -1 : static_cast<std::int32_t>(it->second));
      }
      out_->tables.push_back(std::move(table));
    }
  }

  const lang::CheckedPolicy& checked_;
  const lang::Symbols& syms_;
  std::unique_ptr<CompiledPolicy> out_;
  LeafIndex leaves_;
};

}  // namespace

int transform_tier(const Transform& t) {
  switch (t.kind) {
    case Transform::Kind::kPlain:
      return 2;
    case Transform::Kind::kHash:
      return 0;
    default:
      return 1;
  }
}

Result<std::unique_ptr<CompiledPolicy>> compile_policy(const lang::CheckedPolicy& checked) {
  return PolicyCompiler(checked).run();
}

}  // namespace custos::detail
