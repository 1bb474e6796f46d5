// Compiles a checked policy (lang::CheckedPolicy) into the decision
// structure of compiled_policy.hpp.
#include <algorithm>
#include <set>

#include "custos/limits.hpp"
#include "policy/compiled_policy.hpp"

namespace custos::detail {
namespace {

using lang::HierarchyNode;

// The node and all its descendants, in node order.
std::vector<std::uint32_t> subtree(const std::vector<HierarchyNode>& nodes, std::uint32_t root) {
  std::vector<std::uint32_t> out{root};
  for (std::size_t i = 0; i < out.size(); ++i) {
    for (int child : nodes[out[i]].children) out.push_back(static_cast<std::uint32_t>(child));
  }
  std::sort(out.begin(), out.end());
  return out;
}

class PolicyCompiler {
 public:
  explicit PolicyCompiler(std::shared_ptr<const lang::CheckedPolicy> checked)
      : checked_(std::move(checked)),
        syms_(checked_->symbols),
        out_(std::make_unique<CompiledPolicy>()) {}

  Result<std::unique_ptr<CompiledPolicy>> run() {
    out_->name = checked_->name;
    out_->version = checked_->version;
    out_->source_name = checked_->source->name();
    out_->checked = checked_;
    names();
    roles();
    rules();
    if (Status s = index(); !s.ok()) return s;
    retention();
    out_->category_table = NameTable(out_->category_names);
    out_->purpose_table = NameTable(out_->purpose_names);
    out_->role_table = NameTable(out_->role_names);
    return std::move(out_);
  }

 private:
  void names() {
    const auto& cats = syms_.categories;
    for (std::uint32_t i = 0; i < cats.size(); ++i) {
      out_->category_names.push_back(cats[i].name);
      out_->category_ids.emplace(cats[i].name, i);
    }
    out_->leaf_index.assign(cats.size(), -1);
    out_->leaves_of.resize(cats.size());
    for (std::uint32_t i = 0; i < cats.size(); ++i) {
      if (!cats[i].children.empty()) continue;
      const auto leaf = static_cast<std::uint32_t>(out_->leaf_category.size());
      out_->leaf_index[i] = static_cast<std::int32_t>(leaf);
      out_->leaf_category.push_back(i);
      out_->leaf_sensitive.push_back(cats[i].sensitive);
      // Leaves are visited in node order, so every list stays in it.
      for (int n = static_cast<int>(i); n >= 0; n = cats[n].parent)
        out_->leaves_of[n].push_back(leaf);
    }
    out_->leaf_count = static_cast<std::uint32_t>(out_->leaf_category.size());

    for (std::uint32_t i = 0; i < syms_.purposes.size(); ++i) {
      const auto& p = syms_.purposes[i];
      out_->purpose_names.push_back(p.name);
      out_->purpose_ids.emplace(p.name, i);
      out_->purpose_parent.push_back(p.parent);
      out_->purpose_depth.push_back(p.depth);
      out_->purpose_basis.push_back(p.basis);
    }
  }

  void roles() {
    const auto count = static_cast<std::uint32_t>(syms_.roles.size());
    out_->role_words = std::max<std::uint32_t>(1, (count + 63) / 64);
    const std::uint32_t w = out_->role_words;
    out_->role_closure.assign(static_cast<std::size_t>(count) * w, 0);
    for (std::uint32_t r = 0; r < count; ++r) {
      out_->role_names.push_back(syms_.roles[r].name);
      out_->role_ids.emplace(syms_.roles[r].name, r);
      std::uint64_t* held = &out_->role_closure[static_cast<std::size_t>(r) * w];
      std::vector<int> stack{static_cast<int>(r)};
      while (!stack.empty()) {
        const int x = stack.back();
        stack.pop_back();
        std::uint64_t& word = held[x / 64];
        const std::uint64_t bit = std::uint64_t{1} << (x % 64);
        if (word & bit) continue;
        word |= bit;
        for (int parent : syms_.roles[x].parents) stack.push_back(parent);
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
    const auto& stmts = checked_->parsed.ast.statements;
    const std::string_view text = checked_->source->text();
    for (std::size_t i = 0; i < stmts.size(); ++i) {
      const auto* r = std::get_if<lang::Rule>(&stmts[i].node);
      if (!r) continue;
      CompiledRule rule;
      out_->rule_ids.push_back(syms_.rule_ids[i]);
      rule.is_deny = r->effect == lang::Effect::kDeny;
      rule.actions = r->action == lang::Action::kRead    ? kActionRead
                     : r->action == lang::Action::kShare ? kActionShare
                                                         : kActionRead | kActionShare;
      rule.any_role = r->roles.star;
      rule.roles = static_cast<std::uint32_t>(out_->role_masks.size());
      out_->role_masks.resize(out_->role_masks.size() + out_->role_words, 0);
      for (const auto& n : r->roles.names) {
        const int id = syms_.role_ids.at(n.text);
        out_->role_masks[rule.roles + id / 64] |= std::uint64_t{1} << (id % 64);
      }
      if (r->when) {
        rule.condition = static_cast<std::int32_t>(out_->conditions.size());
        out_->conditions.push_back(
            compile_condition(*r->when, out_->attributes, syms_,
                              std::string(text.substr(r->when->span.begin,
                                                      r->when->span.end - r->when->span.begin))));
      }
      out_->rules.push_back(std::move(rule));
      rule_nodes_.push_back(r);
    }
  }

  // The purposes a rule's purpose list covers.
  std::vector<std::uint32_t> covered_purposes(const lang::NameList& list) const {
    if (list.star) {
      std::vector<std::uint32_t> all(syms_.purposes.size());
      for (std::uint32_t i = 0; i < all.size(); ++i) all[i] = i;
      return all;
    }
    std::set<std::uint32_t> out;
    for (const auto& n : list.names) {
      for (auto p : subtree(syms_.purposes, syms_.purpose_ids.at(n.text))) out.insert(p);
    }
    return {out.begin(), out.end()};
  }

  // For each leaf a rule covers: the transform of the most specific item.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> covered_leaves(const lang::Rule& r) {
    std::vector<std::int32_t> best_depth(out_->leaf_count, -2);
    std::vector<std::uint32_t> transform(out_->leaf_count, 0);
    for (const auto& item : r.categories) {
      const std::uint32_t t =
          item.transform
              ? intern_transform(Transform{static_cast<Transform::Kind>(item.transform->kind),
                                           item.transform->argument})
              : 0;
      if (r.all_categories) {
        for (std::uint32_t leaf = 0; leaf < out_->leaf_count; ++leaf) {
          if (best_depth[leaf] < -1) best_depth[leaf] = -1, transform[leaf] = t;
        }
        continue;
      }
      const std::uint32_t cat = syms_.category_ids.at(item.name.text);
      const int depth = syms_.categories[cat].depth;
      for (std::uint32_t leaf : out_->leaves_of[cat]) {
        if (depth > best_depth[leaf]) best_depth[leaf] = depth, transform[leaf] = t;
      }
    }
    std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
    for (std::uint32_t leaf = 0; leaf < out_->leaf_count; ++leaf) {
      if (best_depth[leaf] > -2) out.emplace_back(leaf, transform[leaf]);
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
    for (const auto* r : rule_nodes_) {
      Coverage c{covered_purposes(r->purposes), covered_leaves(*r)};
      const std::size_t actions = r->action == lang::Action::kUse ? 2 : 1;
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
          if (!(rule.actions & (action == 0 ? kActionRead : kActionShare))) continue;
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
    const std::size_t purposes = syms_.purposes.size();
    const std::size_t leaves = out_->leaf_count;
    out_->retention.assign(purposes * leaves, -1);
    // Specificity of the rule chosen so far per cell, compared
    // lexicographically: purpose list, purpose depth, category depth,
    // shorter period.
    struct Key {
      int has_purposes = -1, purpose_depth = -2, category_depth = -2;
      std::int64_t neg_period = 0;
      bool operator<(const Key& o) const {
        return std::tie(has_purposes, purpose_depth, category_depth, neg_period) <
               std::tie(o.has_purposes, o.purpose_depth, o.category_depth, o.neg_period);
      }
    };
    std::vector<Key> best(purposes * leaves);
    for (const auto& stmt : checked_->parsed.ast.statements) {
      const auto* r = std::get_if<lang::RetainRule>(&stmt.node);
      if (!r) continue;
      const bool listed = r->purposes && !r->purposes->star;
      // Depth of the deepest listed purpose covering each purpose.
      std::vector<int> purpose_depth(purposes, listed ? -2 : -1);
      if (listed) {
        for (const auto& n : r->purposes->names) {
          const std::uint32_t id = syms_.purpose_ids.at(n.text);
          for (auto p : subtree(syms_.purposes, id)) {
            purpose_depth[p] = std::max(purpose_depth[p], syms_.purposes[id].depth);
          }
        }
      }
      std::vector<int> category_depth(leaves, r->categories.star ? -1 : -2);
      for (const auto& n : r->categories.names) {
        const std::uint32_t id = syms_.category_ids.at(n.text);
        for (auto leaf : out_->leaves_of[id]) {
          category_depth[leaf] = std::max(category_depth[leaf], syms_.categories[id].depth);
        }
      }
      const std::int64_t period = r->period.seconds();
      for (std::size_t p = 0; p < purposes; ++p) {
        if (purpose_depth[p] < -1) continue;
        for (std::size_t leaf = 0; leaf < leaves; ++leaf) {
          if (category_depth[leaf] < -1) continue;
          const Key key{listed ? 1 : 0, purpose_depth[p], category_depth[leaf], -period};
          Key& current = best[p * leaves + leaf];
          if (current < key) {
            current = key;
            out_->retention[p * leaves + leaf] = period;
          }
        }
      }
    }
  }

  std::shared_ptr<const lang::CheckedPolicy> checked_;
  const lang::Symbols& syms_;
  std::unique_ptr<CompiledPolicy> out_;
  std::vector<const lang::Rule*> rule_nodes_;
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

Result<std::unique_ptr<CompiledPolicy>> compile_policy(
    std::shared_ptr<const lang::CheckedPolicy> checked) {
  return PolicyCompiler(std::move(checked)).run();
}

}  // namespace custos::detail
