// Walks over the hierarchies of a policy, shared by the checker, the
// compiler and the consent decider. Categories and purposes form forests
// (each node one parent, -1 for a root); roles form a DAG (a role may have
// several parents). Callers give the edges as a function, so each keeps its
// own node type.
#pragma once

#include <cstddef>
#include <vector>

namespace custos::detail {

// Whether `ancestor` is `node` or one of its ancestors. `parent_of(n)`
// returns n's parent, or a negative number at a root.
template <typename ParentOf>
bool is_ancestor_or_self(ParentOf&& parent_of, int ancestor, int node) {
  for (int n = node; n >= 0; n = parent_of(n)) {
    if (n == ancestor) return true;
  }
  return false;
}

// Calls `visit(n)` for `node` and each of its ancestors, nearest first.
template <typename ParentOf, typename Visit>
void for_each_lineage(ParentOf&& parent_of, int node, Visit&& visit) {
  for (int n = node; n >= 0; n = parent_of(n)) visit(n);
}

// Every node reachable from `start` in a DAG of `node_count` nodes, `start`
// included, each once. `parents_of(n)` returns a range of n's parents.
// Iterative, so a long chain cannot overflow the stack.
template <typename ParentsOf>
std::vector<int> reachable(int start, std::size_t node_count, ParentsOf&& parents_of) {
  std::vector<char> seen(node_count, 0);
  std::vector<int> out;
  std::vector<int> stack{start};
  while (!stack.empty()) {
    const int n = stack.back();
    stack.pop_back();
    if (seen[static_cast<std::size_t>(n)]) continue;
    seen[static_cast<std::size_t>(n)] = 1;
    out.push_back(n);
    for (int parent : parents_of(n)) stack.push_back(parent);
  }
  return out;
}

}  // namespace custos::detail
