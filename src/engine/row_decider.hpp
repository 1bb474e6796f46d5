// Decisions for guarded reads (src/guard): one session's actor, action,
// purpose and context, deciding the cells of table rows.
//
// Everything that does not depend on the row is resolved once, when the
// decider is built for a statement: the policy snapshot, the actor's role
// set, the purpose, actor and context attributes, and which categories no
// rule could ever grant (refused before the statement runs). Per row only
// the residue runs, through the engine's own evaluator: the subject's
// consent, the collection time, and conditions on subject attributes.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "consent/cache_access.hpp"
#include "crypto/crypto.hpp"
#include "custos/engine.hpp"
#include "engine/evaluator.hpp"
#include "engine/resolution.hpp"

namespace custos::detail {

// The guard's access to an Engine's internals.
class EngineAccess {
 public:
  static std::shared_ptr<const Policy> policy(const Engine& engine) { return engine.policy(); }
  static const EngineOptions& options(const Engine& engine);
  static const crypto::HmacSha256* hasher(const Engine& engine);
};

class RowDecider {
 public:
  // `request` gives actor, action, purpose and context; its subject and
  // categories are ignored. The engine's policy at this moment is used for
  // the decider's whole life (one statement), whatever reloads meanwhile.
  RowDecider(const Engine& engine, const Request& request);

  const Policy& policy() const { return *policy_; }
  // A new statement on the same policy: the clock is read again.
  void begin_statement();
  Timestamp now() const { return rr_.now; }
  const CompiledPolicy& compiled() const { return cp_; }

  // Whether some rule could grant `category` (an id, -1 unknown) to this
  // actor for this purpose, whatever the row: kNone when one could, else the
  // reason it never can (and the deny rule for denied_by_rule).
  Verdict possible(std::int32_t category) const;

  // Starts deciding a row: its subject id and collection time. Subject
  // attributes bound to columns are set next, by slot.
  // `subject`'s bytes must stay as they are until the next begin_row (the
  // guard keeps them in its cursor's row).
  void begin_row(std::string_view subject, std::optional<Timestamp> collected);
  // The same for a subject given as an integer (an INTEGER subject column):
  // its decimal form is the subject id, formatted only if something reads
  // it as text (the consent cache looks the value up as it is).
  void begin_row_id(std::int64_t subject, std::optional<Timestamp> collected);
  void set_subject_attribute(std::uint32_t slot, const Value& value);
  // Whether the row's subject passes consent and objection for the purpose
  // (its basis; special categories are decided per cell).
  bool purpose_consent_passes() const;
  // The full decision of `category` for the current row.
  Verdict decide(std::int32_t category);
  // Whether decide(category) depends on the row only through the subject's
  // consent (no conditions, no retention): then it is one of five verdicts,
  // told apart by consent_key().
  bool depends_on_consent_only(std::int32_t category) {
    return category >= 0 && consent_only(category);
  }
  // The current row's consent state, as decide() keys its memo (0-4).
  unsigned consent_key() const {
    return rr_.consent_failed ? 4u : static_cast<unsigned>(rr_.consent);
  }
  static constexpr unsigned kConsentKeys = 5;
  // The value of an allowed cell, transformed as the verdict says.
  Value apply(const Verdict& verdict, const Value& value) const;
  // The `hash` transform's key, prepared; null when the engine has none.
  const crypto::HmacSha256* hasher() const { return hasher_; }

 private:
  struct Source {
    const std::vector<RtValue>* values;
    const RtValue& load(std::uint32_t slot) const { return (*values)[slot]; }
  };

  std::shared_ptr<const Policy> policy_;
  const CompiledPolicy& cp_;
  const EngineOptions& options_;
  const crypto::HmacSha256* hasher_;
  Request request_;  // owns what actor and context slots point into
  Resolution resolution_;
  ResolvedRequest rr_;
  std::vector<RtValue> slots_;
  std::vector<RtValue> arena_;  // list items of actor and context slots
  void start_row(SubjectKey subject, std::optional<Timestamp> collected);
  std::vector<bool> subject_slot_;
  std::vector<std::uint32_t> subject_slots_;  // the indices where subject_slot_ is set
  bool subject_text_read_ = false;            // a subject slot is the subject's id
  char subject_digits_[24];                   // an integer subject's decimal form
  std::vector<Value> subject_values_;         // what subject slots point into
  std::vector<RtValue> row_arena_;
  std::string_view subject_;   // the row's, kept by the caller (begin_row)
  bool needs_consent_ = true;  // the purpose or a special category reads consent
  ConditionMemo memo_;
  std::vector<RtValue> scratch_;
  PurposeMemo purpose_memo_;
  // Categories whose verdict depends on the row only through the subject's
  // consent (no conditions, no retention): decided once per consent state
  // and statement, not once per row. By category: -1 not yet known, 0
  // varies per row, 1 consent only; then the verdicts by consent state.
  bool consent_only(std::int32_t category);
  std::vector<std::int8_t> consent_only_;
  std::vector<std::array<Verdict, 5>> by_consent_;
  std::vector<std::uint8_t> by_consent_known_;
};

}  // namespace custos::detail
