#include "policy/coverage.hpp"

#include <algorithm>
#include <set>
#include <tuple>

#include "base/hierarchy.hpp"

namespace custos::detail {

LeafIndex index_leaves(const std::vector<lang::HierarchyNode>& cats) {
  LeafIndex out;
  out.leaf_of.assign(cats.size(), -1);
  out.leaves_of.resize(cats.size());
  const auto parent_of = [&cats](int n) { return cats[static_cast<std::size_t>(n)].parent; };
  for (std::uint32_t i = 0; i < cats.size(); ++i) {
    if (!cats[i].children.empty()) continue;
    const auto leaf = static_cast<std::uint32_t>(out.category_of.size());
    out.leaf_of[i] = static_cast<std::int32_t>(leaf);
    out.category_of.push_back(i);
    // Leaves are visited in node order, so every list stays in it.
    for_each_lineage(parent_of, static_cast<int>(i),
                     [&](int n) { out.leaves_of[static_cast<std::size_t>(n)].push_back(leaf); });
  }
  return out;
}

std::vector<std::uint32_t> subtree(const std::vector<lang::HierarchyNode>& nodes,
                                   std::uint32_t root) {
  std::vector<std::uint32_t> out{root};
  for (std::size_t i = 0; i < out.size(); ++i) {
    for (int child : nodes[out[i]].children) out.push_back(static_cast<std::uint32_t>(child));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::uint32_t> covered_purposes(const lang::ResolvedRule& r,
                                            const lang::Symbols& symbols) {
  if (r.any_purpose) {
    std::vector<std::uint32_t> all(symbols.purposes.size());
    for (std::uint32_t i = 0; i < all.size(); ++i) all[i] = i;
    return all;
  }
  std::set<std::uint32_t> out;
  for (int id : r.purposes) {
    for (auto p : subtree(symbols.purposes, static_cast<std::uint32_t>(id))) out.insert(p);
  }
  return {out.begin(), out.end()};
}

std::vector<std::pair<std::uint32_t, Transform>> covered_leaves(const lang::ResolvedRule& r,
                                                                const LeafIndex& leaves) {
  const std::uint32_t n = leaves.count();
  std::vector<std::int32_t> best_depth(n, -2);
  std::vector<Transform> transform(n);
  for (const auto& item : r.categories) {
    if (item.category < 0) {  // `*`: less specific than any named category
      for (std::uint32_t leaf = 0; leaf < n; ++leaf) {
        if (best_depth[leaf] < -1) best_depth[leaf] = -1, transform[leaf] = item.transform;
      }
      continue;
    }
    for (std::uint32_t leaf : leaves.leaves_of[static_cast<std::size_t>(item.category)]) {
      if (item.depth > best_depth[leaf])
        best_depth[leaf] = item.depth, transform[leaf] = item.transform;
    }
  }
  std::vector<std::pair<std::uint32_t, Transform>> out;
  for (std::uint32_t leaf = 0; leaf < n; ++leaf) {
    if (best_depth[leaf] > -2) out.emplace_back(leaf, transform[leaf]);
  }
  return out;
}

std::vector<std::int32_t> retention_rules(const lang::CheckedPolicy& policy,
                                          const LeafIndex& leaves) {
  const auto& syms = policy.symbols;
  const std::size_t purposes = syms.purposes.size();
  const std::size_t leaf_count = leaves.count();
  std::vector<std::int32_t> out(purposes * leaf_count, -1);
  // Specificity of the rule chosen so far per cell, compared
  // lexicographically: purpose list, purpose depth, category depth, shorter
  // period.
  struct Key {
    int has_purposes = -1, purpose_depth = -2, category_depth = -2;
    std::int64_t neg_period = 0;
    bool operator<(const Key& o) const {
      return std::tie(has_purposes, purpose_depth, category_depth, neg_period) <
             std::tie(o.has_purposes, o.purpose_depth, o.category_depth, o.neg_period);
    }
  };
  std::vector<Key> best(purposes * leaf_count);
  for (std::size_t index = 0; index < policy.retains.size(); ++index) {
    const lang::ResolvedRetain& r = policy.retains[index];
    // Depth of the deepest listed purpose covering each purpose.
    std::vector<int> purpose_depth(purposes, r.purpose_list ? -2 : -1);
    for (int id : r.purposes) {
      if (!r.purpose_list) break;  // `for *`: every purpose, like no list
      const int depth = syms.purposes[static_cast<std::size_t>(id)].depth;
      for (auto p : subtree(syms.purposes, static_cast<std::uint32_t>(id))) {
        purpose_depth[p] = std::max(purpose_depth[p], depth);
      }
    }
    std::vector<int> category_depth(leaf_count, r.all_categories ? -1 : -2);
    for (int id : r.categories) {
      const int depth = syms.categories[static_cast<std::size_t>(id)].depth;
      for (auto leaf : leaves.leaves_of[static_cast<std::size_t>(id)]) {
        category_depth[leaf] = std::max(category_depth[leaf], depth);
      }
    }
    for (std::size_t p = 0; p < purposes; ++p) {
      if (purpose_depth[p] < -1) continue;
      for (std::size_t leaf = 0; leaf < leaf_count; ++leaf) {
        if (category_depth[leaf] < -1) continue;
        const Key key{r.purpose_list ? 1 : 0, purpose_depth[p], category_depth[leaf], -r.period};
        Key& current = best[p * leaf_count + leaf];
        if (current < key) {
          current = key;
          out[p * leaf_count + leaf] = static_cast<std::int32_t>(index);
        }
      }
    }
  }
  return out;
}

}  // namespace custos::detail
