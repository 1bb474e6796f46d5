// The access matrix of a policy: for every role (with the grants it
// inherits), action, leaf category and purpose, what a request gets from the
// rules alone: allowed (in which form, by which rule), denied by a rule, or
// no allow rule; which conditions decide it; what consent it needs; how long
// the data may be used. `custos matrix`, `custos diff` and the assertions of
// a policy read it.
//
//   AccessMatrix m(checked);                 // a lang::CheckedPolicy
//   std::vector<std::uint32_t> table;
//   m.role_table(role, table);               // [action][purpose][leaf] -> outcome id
//   const MatrixOutcome& o = m.outcome(table[m.cell(0, purpose, leaf)]);
//
// It is computed from the checked policy, not by deciding requests, with the
// engine's semantics (policy-lang/REFERENCE.md §5, §8, §9): deny overrides
// allow; among the allows the most revealing transform (plain > truncate,
// round, year, mask > hash), ties to the rule first in the file; role
// inheritance and category and purpose hierarchies; `*`; consent from the
// purpose's basis and `sensitive`; retention by the compiler's own choice of
// retain rule (policy/coverage.hpp).
//
// Thread-safety: role_table() adds outcomes to the matrix; use one matrix
// per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "custos/status.hpp"
#include "lang/checker.hpp"
#include "policy/coverage.hpp"

namespace custos::detail {

enum class MatrixEffect : std::uint8_t { kAllow, kDeny, kNoAllow };

// What a granted access needs from the subject's consent records.
enum class ConsentNeed : std::uint8_t {
  kNone,        // no consent check (contract, legal obligation, ...)
  kObjectable,  // legitimate interest: allowed unless the subject objected
  kNeeded,      // basis consent, or a sensitive category: a granted record
};

struct MatrixOutcome {
  MatrixEffect effect = MatrixEffect::kNoAllow;
  // kAllow: the granting rule (the first in the file among the most
  // revealing, preferring one without a condition); kDeny: the first
  // unconditional deny rule. Indexes into CheckedPolicy::rules.
  std::int32_t rule = -1;
  Transform transform;  // kAllow only
  // The rules whose conditions decide the outcome, in file order: deny rules
  // with a condition, and most revealing allow rules with a condition that
  // come before any such rule without one. Empty: the rules alone decide.
  std::vector<std::int32_t> conditions;
  ConsentNeed consent = ConsentNeed::kNone;  // kAllow only
  std::int32_t retain = -1;  // kAllow only: the retain rule that applies, -1 for none

  bool conditional() const { return !conditions.empty(); }
  bool operator==(const MatrixOutcome& o) const;
};

// Transforms ranked by how much they reveal: hash 0; mask, truncate, year,
// round 1; plain 2.
int reveal_rank(const Transform& t);

class AccessMatrix {
 public:
  // Fails with kLimitExceeded when the policy is too large to index (the
  // compiler's limits).
  static Result<std::unique_ptr<AccessMatrix>> build(
      std::shared_ptr<const lang::CheckedPolicy> policy);

  const lang::CheckedPolicy& policy() const { return *policy_; }
  const std::shared_ptr<const lang::CheckedPolicy>& shared_policy() const { return policy_; }
  const LeafIndex& leaves() const { return leaves_; }

  // Declared roles, then one more: an actor with no role, whom only `*`
  // rules match.
  std::uint32_t role_count() const { return roles_ + 1; }
  std::uint32_t no_role() const { return roles_; }
  // Whether `role` holds `other`, itself or by inheritance.
  bool holds(std::uint32_t role, int other) const;

  std::uint32_t purpose_count() const { return purposes_; }
  // A request may name it: it has a legal basis.
  bool requestable(std::uint32_t purpose) const;

  // Index of (action 0 read / 1 share, purpose id, leaf) in a role table.
  std::size_t cell(int action, std::uint32_t purpose, std::uint32_t leaf) const {
    return (static_cast<std::size_t>(action) * purposes_ + purpose) * leaves_.count() + leaf;
  }
  std::size_t cell_count() const {
    return 2 * static_cast<std::size_t>(purposes_) * leaves_.count();
  }

  // Fills `table` with an outcome id per cell for one role.
  void role_table(std::uint32_t role, std::vector<std::uint32_t>& table);
  const MatrixOutcome& outcome(std::uint32_t id) const { return outcomes_[id]; }

  // A request item naming `category`, which may have descendants: decided
  // as each of its leaves, allowed only if all are, with the least revealing
  // transform (ties: the first leaf); else the outcome of its first leaf
  // that is not allowed. From a role's table.
  MatrixOutcome item(const std::vector<std::uint32_t>& table, int action, std::uint32_t category,
                     std::uint32_t purpose) const;

 private:
  explicit AccessMatrix(std::shared_ptr<const lang::CheckedPolicy> policy);
  Status index();
  std::uint32_t intern(MatrixOutcome o);

  struct Entry {
    std::uint32_t rule;
    std::uint32_t transform;  // index into transforms_
  };

  std::shared_ptr<const lang::CheckedPolicy> policy_;
  LeafIndex leaves_;
  std::uint32_t roles_ = 0;
  std::uint32_t purposes_ = 0;
  std::vector<std::vector<int>> held_;  // role -> the roles it holds, sorted
  std::vector<Transform> transforms_;
  std::vector<char> conditional_;          // by rule
  std::vector<std::uint32_t> cell_begin_;  // cells + 1; entries of a cell: denies, then allows
  std::vector<std::uint32_t> cell_split_;
  std::vector<Entry> entries_;
  std::vector<std::int32_t> retain_;  // [purpose][leaf]
  std::vector<ConsentNeed> consent_;  // [purpose][leaf]
  std::vector<MatrixOutcome> outcomes_;
  std::unordered_map<std::string, std::uint32_t> outcome_ids_;
};

// ---- rows, as people and tools read them ----

// One outcome in words; what `custos matrix` prints and `custos diff`
// compares.
struct Access {
  std::string effect;                   // "allow", "deny", "no_allow"
  std::string transform;                // allow: "plain", "mask", "truncate(3)", ...
  std::string rule;                     // the rule id ("" for no_allow)
  std::string consent;                  // allow: "needed", "objectable", "none"
  std::vector<std::string> conditions;  // "deny ID when EXPR", "allow ID when EXPR"
  std::string retention;                // allow: "3y" as written, or "unlimited"
  // For comparisons: the transform's rank, the consent level (0 none,
  // 1 objectable, 2 needed), the period in seconds (-1: unlimited), and the
  // conditions without rule ids.
  int rank = -1;
  int consent_level = 0;
  std::int64_t retention_seconds = -1;
  std::vector<std::string> condition_texts;

  bool allowed() const { return effect == "allow"; }
  bool conditional() const { return !conditions.empty(); }
  std::string key() const;  // equal keys: equal accesses
};

Access describe_outcome(const lang::CheckedPolicy& policy, const MatrixOutcome& o);

// A group of identical cells: every role × action × category × purpose it
// names has the same access (and, in a diff, the same previous access).
// Category names stand for all their leaves; `*` in a list stands for every
// role, leaf or purpose of the table. Purposes are listed one by one (a
// purpose's children may differ from it).
struct MatrixRow {
  std::vector<std::string> roles;
  std::string action;  // "read", "share", or "use" for both
  std::vector<std::string> categories;
  std::vector<std::string> purposes;
  std::uint32_t access = 0;  // index into MatrixTable::accesses
  std::int32_t from = -1;    // diff `changed` rows: the previous access
};

struct MatrixTable {
  std::vector<Access> accesses;
  std::vector<MatrixRow> rows;
};

// The names a table's rows are made of, in the order they are listed.
struct Universe {
  std::vector<std::string> roles;
  std::vector<std::string> categories;  // leaf names (diff: names of either policy)
  std::vector<std::string> purposes;
  // Whether `*` may stand for all of a dimension (not under a filter).
  bool star_roles = true, star_categories = true, star_purposes = true;
};

// One cell: indexes into a Universe, its access, and (diff `changed` rows)
// the previous access or -1. Cells with equal accesses and previous
// accesses group.
struct MatrixCell {
  std::uint32_t role;
  std::uint8_t action;  // 0 read, 1 share
  std::uint32_t category;
  std::uint32_t purpose;
  std::uint32_t access;
  std::int32_t from = -1;
};

// Groups identical cells into rows: first categories (under one role,
// action, purpose), then purposes, then read and share into `use`, then
// roles. Rows come ordered by role, action, effect (allow, deny, no_allow),
// category and purpose.
std::vector<MatrixRow> group_cells(std::vector<MatrixCell> cells, const Universe& universe,
                                   const std::vector<Access>& accesses);

struct MatrixFilter {
  std::optional<std::uint32_t> role;     // one declared role
  std::optional<std::uint32_t> purpose;  // a purpose and its descendants
};

// The grouped matrix of a policy: declared roles, requestable purposes, leaf
// categories. Fails when it has more than kMaxMatrixCells cells (a filter
// makes it smaller).
inline constexpr std::size_t kMaxMatrixCells = std::size_t{1} << 27;
Result<MatrixTable> build_matrix_table(AccessMatrix& matrix, const MatrixFilter& filter = {});

}  // namespace custos::detail
