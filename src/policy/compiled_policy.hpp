// The compiled form of a policy: everything a decision needs, as flat arrays
// indexed by small integer ids. Built once by compile(), never changed after.
//
// The heart is the rule index: for each action (read, share), each purpose
// and each leaf category, the candidate rules, deny rules first, each in
// source order, each with the transform it would grant for that leaf. A
// decision reads one such cell per leaf and never looks at other rules.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/name_table.hpp"
#include "custos/decision.hpp"
#include "custos/limits.hpp"
#include "custos/policy.hpp"
#include "custos/status.hpp"
#include "lang/checker.hpp"
#include "policy/condition.hpp"

namespace custos::detail {

// What a decision reads of a rule, 12 bytes; its id is in rule_ids, read
// only when a decision reports the rule. Its roles are a list, not a bit
// set, so a policy's compiled size stays linear in its text however many
// roles it declares.
struct CompiledRule {
  static constexpr std::uint16_t kAnyRole = 0xFFFF;  // `*` (lists hold far fewer roles)
  bool is_deny = false;
  lang::Action actions = lang::Action::kRead;
  std::uint16_t role_count = 0;  // roles[role_begin, +role_count) of role_lists, or kAnyRole
  std::uint32_t role_begin = 0;
  std::int32_t condition = -1;  // index into conditions, -1 for none
};
static_assert(sizeof(CompiledRule) == 12, "a decision reads rules from a dense array");

// One candidate rule of a cell, with the transform it grants there.
struct CellEntry {
  std::uint32_t rule = 0;
  std::uint32_t transform = 0;  // index into transforms
};

// Candidates of one (action, purpose, leaf): entries[begin, split) are deny
// rules, entries[split, next cell's begin) allow rules. Cells are laid out
// back to back, with one sentinel cell at the end.
struct Cell {
  std::uint32_t begin = 0;
  std::uint32_t split = 0;
};

struct CellRange {
  std::uint32_t begin, split, end;
};

// A table binding, for guarded reads: the checker's resolved binding, and for
// each subject attribute bound to a column the condition slot it fills (-1
// when no condition reads that attribute).
struct CompiledTable {
  lang::ResolvedTable binding;
  std::vector<std::int32_t> attribute_slots;  // by binding.attributes index
};

struct CompiledPolicy {
  std::string name;
  std::int64_t version = 0;
  std::array<char, limits::kMaxPolicyNameBytes + 1> name_chars{};  // `name`, NUL-terminated
  std::array<std::uint8_t, 32> sha256{};                           // of the policy text
  std::string sha256_hex;   // the same, 64 lowercase hex digits
  std::string source_name;  // the file name given to compile()

  // ---- names ----
  std::vector<std::string> category_names;            // by category id (node order)
  std::vector<std::int32_t> leaf_index;               // category id -> leaf index, -1 if not a leaf
  std::vector<std::vector<std::uint32_t>> leaves_of;  // category id -> its leaf indexes, in order
  std::vector<std::uint32_t> leaf_category;           // leaf index -> category id
  std::vector<char> leaf_sensitive;                   // by leaf index

  std::vector<std::string> purpose_names;  // by purpose id
  std::vector<std::int32_t> purpose_parent;
  std::vector<std::int32_t> purpose_depth;
  std::vector<lang::Basis> purpose_basis;  // in force; kNone: cannot be requested

  std::vector<std::string> role_names;

  // Name -> id, for the lookups of every decision.
  NameTable category_table, purpose_table, role_table;
  std::uint32_t role_words = 1;             // 64-bit words per role set
  std::vector<std::uint64_t> role_closure;  // role id -> the roles it holds (itself + ancestors)
  std::vector<std::uint32_t> role_lists;    // rules' role ids

  // ---- rules ----
  std::vector<CompiledRule> rules;
  std::vector<std::string> rule_ids;  // by rule index
  std::vector<Transform> transforms;  // distinct transforms; index 0 is plain
  std::vector<ConditionProgram> conditions;
  AttributeTable attributes;

  std::uint32_t leaf_count = 0;
  std::vector<Cell> cells;  // [action 0/1][purpose][leaf], then a sentinel
  std::vector<CellEntry> entries;

  // ---- table bindings ----
  std::vector<CompiledTable> tables;

  // ---- retention ----
  std::vector<std::int64_t> retention;  // [purpose][leaf]: seconds, -1 for no limit
  // For explanations: the retain rule behind each cell of `retention` (-1:
  // none), and per retain rule its place (`crm.custos:83`) and period as
  // written (`2y`).
  std::vector<std::int32_t> retention_rule;
  std::vector<std::string> retain_names;
  std::vector<std::string> retain_periods;

  // ---- consent signals ----
  // By purpose id, in force (its own marks and its ancestors'): the TCF
  // purposes a TC string must grant (bit p - 1 for TCF purpose p; 0: the
  // purpose ignores TC strings), and whether GPC objects to it.
  std::vector<std::uint16_t> purpose_tcf;
  std::vector<char> purpose_gpc;
  lang::ResolvedSignals signals;  // whose choices in a TC string count

  CellRange cell(int action_index, std::uint32_t purpose, std::uint32_t leaf) const {
    const std::size_t i =
        (static_cast<std::size_t>(action_index) * purpose_names.size() + purpose) * leaf_count +
        leaf;
    return CellRange{cells[i].begin, cells[i].split, cells[i + 1].begin};
  }
  std::int64_t retention_for(std::uint32_t purpose, std::uint32_t leaf) const {
    return retention[static_cast<std::size_t>(purpose) * leaf_count + leaf];
  }
};

// The one door from the engine to a Policy's compiled form, which the
// public header keeps private.
class PolicyAccess {
 public:
  static const CompiledPolicy& compiled(const Policy& policy) { return *policy.compiled_; }
  static std::shared_ptr<const Policy> wrap(std::unique_ptr<const CompiledPolicy> compiled) {
    return std::shared_ptr<const Policy>(new Policy(std::move(compiled)));
  }
};

// Compiles a checked policy. Fails with kLimitExceeded when the rule index
// would exceed limits::kMaxRuleIndexEntries.
Result<std::unique_ptr<CompiledPolicy>> compile_policy(const lang::CheckedPolicy& checked);

// Transforms ranked by how much they reveal: hash 0, mask/truncate/year/round
// 1, plain 2.
int transform_tier(const Transform& t);

}  // namespace custos::detail
