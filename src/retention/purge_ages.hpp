// Purge ages (LANGUAGE.md §5, "Purge works per column"), from the compiled
// retention table.
#pragma once

#include <cstdint>
#include <vector>

#include "policy/compiled_policy.hpp"

namespace custos::retention {

// By leaf index: the longest period the retention table gives the leaf over
// every purpose that can be requested (purpose_basis != kNone); -1 (no
// limit) when one of those purposes has no limit, or when no purpose can be
// requested at all.
std::vector<std::int64_t> leaf_purge_ages(const detail::CompiledPolicy& policy);

// By category id: the longest purge age of the category's leaves (a leaf's
// own for a leaf); -1 when one of them has no limit.
std::vector<std::int64_t> category_purge_ages(const detail::CompiledPolicy& policy);

}  // namespace custos::retention
