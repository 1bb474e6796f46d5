#include "retention/purge_ages.hpp"

#include <algorithm>

namespace custos::retention {

std::vector<std::int64_t> leaf_purge_ages(const detail::CompiledPolicy& policy) {
  std::vector<std::int64_t> out(policy.leaf_count, -1);
  for (std::uint32_t leaf = 0; leaf < policy.leaf_count; ++leaf) {
    bool any = false, unlimited = false;
    std::int64_t longest = 0;
    for (std::uint32_t p = 0; p < policy.purpose_names.size(); ++p) {
      if (policy.purpose_basis[p] == lang::Basis::kNone) continue;  // cannot be requested
      const std::int64_t period = policy.retention_for(p, leaf);
      any = true;
      if (period < 0) {
        unlimited = true;
        break;
      }
      longest = std::max(longest, period);
    }
    out[leaf] = any && !unlimited ? longest : -1;
  }
  return out;
}

std::vector<std::int64_t> category_purge_ages(const detail::CompiledPolicy& policy) {
  const std::vector<std::int64_t> leaves = leaf_purge_ages(policy);
  std::vector<std::int64_t> out(policy.category_names.size(), -1);
  for (std::size_t c = 0; c < out.size(); ++c) {
    std::int64_t longest = -1;
    for (std::uint32_t leaf : policy.leaves_of[c]) {
      if (leaves[leaf] < 0) {
        longest = -1;
        break;
      }
      longest = std::max(longest, leaves[leaf]);
    }
    out[c] = longest;
  }
  return out;
}

}  // namespace custos::retention
