// What changed between two versions of a policy, in access-matrix terms:
// requests that became allowed (gained) or not allowed (lost), and allowed
// requests whose form, consent, retention or conditions changed. `custos
// diff` prints it; `--fail-on-gain` fails a CI review when anything became
// more revealing.
//
//   auto d = diff_policies(old_matrix, new_matrix);
//   if (d->more_revealing) ...
//
// Names are matched by spelling: a role, category or purpose only one
// version declares is unknown to the other, whose requests for it are
// denied. A category that is a leaf in one version and has descendants in
// the other is compared as the engine decides a request naming it.
#pragma once

#include <vector>

#include "policy/matrix.hpp"

namespace custos::detail {

struct PolicyDiff {
  std::vector<Access> accesses;    // rows' access and from index into it
  std::vector<MatrixRow> gained;   // access: the new one
  std::vector<MatrixRow> lost;     // access: the old one
  std::vector<MatrixRow> changed;  // access: the new one; from: the old one
  bool more_revealing = false;     // anything gained, or changed to reveal more
};

// Whether `to` reveals more than `from` in any respect: a more revealing
// transform, less consent needed, a longer retention, or fewer conditions.
bool reveals_more(const Access& from, const Access& to);

Result<PolicyDiff> diff_policies(AccessMatrix& old_matrix, AccessMatrix& new_matrix);

}  // namespace custos::detail
