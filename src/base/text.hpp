// Small text helpers shared by the modules: did-you-mean suggestions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace custos::detail {

// Edit distance (optimal string alignment: a swap of neighbours costs 1),
// giving up (returning limit + 1) once it exceeds limit.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit);

// The candidate closest to `name` when it is close enough to be a likely typo
// (distance at most a third of the name's length, at least 1), else "".
// Ties go to the first candidate in the list, so suggestions are stable.
std::string closest_match(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace custos::detail
