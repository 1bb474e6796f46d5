// What the rules and retain rules of a checked policy cover, in leaf
// categories and purposes. The compiler and the access matrix both read a
// policy through these functions, so a decision and the matrix cannot
// disagree on which rule reaches which (action, purpose, category), with
// which transform, or on which retain rule applies.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "lang/checker.hpp"

namespace custos::detail {

// The leaf categories of a policy (categories without declared
// descendants), in node order, which is declaration order.
struct LeafIndex {
  std::vector<std::int32_t> leaf_of;                  // category id -> leaf index, -1 if not a leaf
  std::vector<std::vector<std::uint32_t>> leaves_of;  // category id -> its leaves, in order
  std::vector<std::uint32_t> category_of;             // leaf index -> category id
  std::uint32_t count() const { return static_cast<std::uint32_t>(category_of.size()); }
};
LeafIndex index_leaves(const std::vector<lang::HierarchyNode>& categories);

// A node and all its descendants, in node order.
std::vector<std::uint32_t> subtree(const std::vector<lang::HierarchyNode>& nodes,
                                   std::uint32_t root);

// The purposes a rule's purpose list covers (the listed ones and their
// descendants; `*`: all), in node order.
std::vector<std::uint32_t> covered_purposes(const lang::ResolvedRule& rule,
                                            const lang::Symbols& symbols);

// Each leaf a rule covers, with the transform of the most specific item
// covering it (`*` is less specific than any name), in leaf order.
std::vector<std::pair<std::uint32_t, Transform>> covered_leaves(const lang::ResolvedRule& rule,
                                                                const LeafIndex& leaves);

// Which retain rule applies to [purpose id][leaf], as an index into
// CheckedPolicy::retains, or -1 (no limit). The most specific rule wins: a
// purpose list, then the deepest purpose, then the deepest category, then
// the shortest period (policy-lang/REFERENCE.md, "Retention").
std::vector<std::int32_t> retention_rules(const lang::CheckedPolicy& policy,
                                          const LeafIndex& leaves);

}  // namespace custos::detail
