// The decision procedure over a compiled policy (policy-lang/REFERENCE.md,
// "Deciding"): per request item, its leaves; per leaf, the candidate rules
// of one index cell (deny rules first), then consent, then retention.
//
// Everything a decision reads is resolved before it starts (a ResolvedRequest),
// so the same procedure serves the string path, the prepared path and
// explanations; it allocates nothing unless explaining.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "custos/consent_record.hpp"
#include "custos/decision.hpp"
#include "lang/formatter.hpp"
#include "policy/compiled_policy.hpp"

namespace custos::detail {

// A consent record with its purpose resolved against the policy.
struct ResolvedConsent {
  std::uint32_t purpose = 0;
  ConsentState state = ConsentState::kGranted;
  Timestamp at = 0;
  std::optional<Timestamp> expires;
};

// The outcome for the request purpose: the deciding record's state, or none.
enum class ConsentStatus : std::uint8_t { kNone, kGranted, kWithdrawn, kObjected };

// The deciding record for `purpose` at `now` (LANGUAGE.md s6), picked from
// records offered one at a time: the guard offers a subject's records as it
// resolves them, without gathering them first.
class DecidingRecord {
 public:
  DecidingRecord(const CompiledPolicy& policy, std::uint32_t purpose, Timestamp now)
      : policy_(policy), purpose_(purpose), now_(now) {}
  // Whether `r` decides so far (it then replaces the previous one).
  bool offer(const ResolvedConsent& r);
  // The consent status the deciding record gives (kNone: none offered decides).
  ConsentStatus status() const;

 private:
  const CompiledPolicy& policy_;
  std::uint32_t purpose_;
  Timestamp now_;
  ResolvedConsent best_{};
  int depth_ = -1;  // best_'s purpose depth; -1 while none decides
};

// Deciding record among `records` for `purpose` at `now` (LANGUAGE.md s6).
ConsentStatus deciding_consent(const CompiledPolicy& policy, std::uint32_t purpose,
                               const std::vector<ResolvedConsent>& records, Timestamp now);
// The record itself (null: none), for explanations.
const ResolvedConsent* deciding_record(const CompiledPolicy& policy, std::uint32_t purpose,
                                       const std::vector<ResolvedConsent>& records, Timestamp now);
// "the `granted` record for `marketing` of 2026-01-10T09:00:00Z", or that
// there is none.
std::string describe_record(const CompiledPolicy& policy, std::uint32_t purpose,
                            const ResolvedConsent* record, Timestamp now);

// The part of a request that does not depend on the category.
struct ResolvedRequest {
  bool malformed = false;
  int action = 0;             // 0 read, 1 share
  std::int32_t purpose = -1;  // -1: unknown_purpose
  bool unknown_role = false;
  const std::uint64_t* held = nullptr;  // role set, policy.role_words words
  Timestamp now = 0;
  std::optional<Timestamp> collected_at;
  // The deciding outcome for the request purpose, explicit records and
  // consent signals combined (the stricter wins): `consent` where consent is
  // needed (basis consent, special categories), `consent_li` for the
  // objection check of basis legitimate_interest. Equal without signals.
  ConsentStatus consent = ConsentStatus::kNone;
  ConsentStatus consent_li = ConsentStatus::kNone;
  bool consent_failed = false;  // the consent store could not be read
  // Explanations only: why not (the store's message: its path, the record).
  const std::string* consent_error = nullptr;
  bool gpc_objected = false;  // GPC is on and the purpose is marked `gpc`
  // explain() only: what the signals said, for the consent findings.
  const std::vector<std::string>* signal_notes = nullptr;
  // Explanations only: which record decided the consent status.
  const std::string* consent_record = nullptr;
};

// The result of one leaf or item.
struct Verdict {
  Reason reason = Reason::kNone;
  std::int32_t rule = -1;       // rule index, -1 for none
  std::uint32_t transform = 0;  // index into policy.transforms
};

// Where explanations go (explain() only).
using Explanation = std::vector<Explained>;

// The conditions already evaluated for the request being decided. A
// condition depends on the request, never on the category, so each is
// evaluated at most once per request, however many leaves and items share
// its rule (an item with 200 leaves once evaluated it 200 times).
class ConditionMemo {
 public:
  // Forgets the previous request; sized for `conditions` conditions.
  // Allocates only when a policy with more conditions than before arrives.
  void begin(std::size_t conditions) {
    for (std::uint32_t c : touched_) state_[c] = kUnknown;
    touched_.clear();
    if (state_.size() < conditions) {
      state_.resize(conditions, kUnknown);
      errors_.resize(conditions);
      touched_.reserve(conditions);
    }
  }
  // The result of condition `c`, evaluating it with `evaluate(EvalError*)`
  // the first time.
  template <typename Evaluate>
  EvalResult get(std::uint32_t c, EvalError* error, Evaluate&& evaluate) {
    if (state_[c] == kUnknown) {
      state_[c] = static_cast<std::uint8_t>(evaluate(&errors_[c]));
      touched_.push_back(c);
    }
    *error = errors_[c];
    return static_cast<EvalResult>(state_[c]);
  }

 private:
  static constexpr std::uint8_t kUnknown = 0xFF;
  std::vector<std::uint8_t> state_;  // EvalResult, or kUnknown
  std::vector<EvalError> errors_;
  std::vector<std::uint32_t> touched_;
};

// Decides one request item: category id `category` (-1: unknown).
// `Source` gives the condition machine its attribute values.
template <typename Source>
Verdict decide_item(const CompiledPolicy& policy, const ResolvedRequest& request,
                    std::int32_t category, Source& source, std::vector<RtValue>& scratch,
                    ConditionMemo& memo, Explanation* explanation);

}  // namespace custos::detail

#include "engine/evaluator.inl"
