#include "engine/row_decider.hpp"

#include <algorithm>
#include <charconv>

#include "custos/consent.hpp"
#include "engine/signals.hpp"
#include "engine/transform.hpp"

namespace custos::detail {

RowDecider::RowDecider(const Engine& engine, const Request& request)
    : policy_(EngineAccess::policy(engine)),
      cp_(PolicyAccess::compiled(*policy_)),
      options_(EngineAccess::options(engine)),
      hasher_(EngineAccess::hasher(engine)),
      request_(request) {
  request_.subject.reset();  // subjects come from rows
  resolve(cp_, request_, resolution_);
  rr_ = resolution_.request;
  rr_.held = resolution_.held.data();
  // A session names no categories: only the request's own problems count.
  rr_.malformed = !request_.malformed.empty() ||
                  (request_.action != "read" && request_.action != "share") ||
                  (request_.time && !options_.trust_request_time);
  rr_.now = request_.time && options_.trust_request_time ? *request_.time : options_.clock();

  // A purpose on a basis without consent checks, in a policy without special
  // categories, that no consent signal (TC string, GPC) touches, never reads
  // a subject's consent: skip the store per row.
  if (rr_.purpose >= 0) {
    const lang::Basis basis = cp_.purpose_basis[static_cast<std::size_t>(rr_.purpose)];
    needs_consent_ = basis == lang::Basis::kConsent || basis == lang::Basis::kLegitimateInterest ||
                     signals_touch(cp_, static_cast<std::uint32_t>(rr_.purpose)) ||
                     std::find(cp_.leaf_sensitive.begin(), cp_.leaf_sensitive.end(), 1) !=
                         cp_.leaf_sensitive.end();
  }
  const auto& slots = cp_.attributes.slots;
  arena_.reserve(list_items_in(request_));
  slots_.resize(slots.size());
  subject_slot_.assign(slots.size(), false);
  subject_values_.resize(slots.size());
  for (std::size_t i = 0; i < slots.size(); ++i) {
    if (slots[i].root == lang::AttributeRoot::kSubject) {
      subject_slot_[i] = true;  // filled per row
      subject_slots_.push_back(static_cast<std::uint32_t>(i));
      subject_text_read_ = subject_text_read_ || slots[i].builtin;
    } else {
      slots_[i] = resolve_slot(slots[i], request_, arena_);
    }
  }
}

void RowDecider::begin_statement() {
  rr_.now = request_.time && options_.trust_request_time ? *request_.time : options_.clock();
  std::fill(by_consent_known_.begin(), by_consent_known_.end(), 0);  // `now` may have moved
}

bool RowDecider::consent_only(std::int32_t category) {
  const auto c = static_cast<std::size_t>(category);
  if (consent_only_.empty()) {
    consent_only_.assign(cp_.category_names.size(), -1);
    by_consent_.resize(cp_.category_names.size());
    by_consent_known_.assign(cp_.category_names.size(), 0);
  }
  if (consent_only_[c] < 0) {
    bool only = !rr_.malformed && rr_.purpose >= 0;
    const auto purpose = static_cast<std::uint32_t>(rr_.purpose);
    for (std::uint32_t leaf : cp_.leaves_of[c]) {
      if (!only) break;
      if (cp_.retention_for(purpose, leaf) >= 0) only = false;
      const CellRange cell = cp_.cell(rr_.action, purpose, leaf);
      for (std::uint32_t i = cell.begin; i < cell.end && only; ++i) {
        only = cp_.rules[cp_.entries[i].rule].condition < 0;
      }
    }
    consent_only_[c] = only ? 1 : 0;
  }
  return consent_only_[c] == 1;
}

Verdict RowDecider::possible(std::int32_t category) const {
  if (rr_.malformed) return Verdict{Reason::kBadRequest, -1, 0};
  if (rr_.purpose < 0) return Verdict{Reason::kUnknownPurpose, -1, 0};
  if (category < 0) return Verdict{Reason::kUnknownCategory, -1, 0};
  if (rr_.unknown_role) return Verdict{Reason::kUnknownRole, -1, 0};
  const auto purpose = static_cast<std::uint32_t>(rr_.purpose);
  for (std::uint32_t leaf : cp_.leaves_of[static_cast<std::size_t>(category)]) {
    const CellRange cell = cp_.cell(rr_.action, purpose, leaf);
    for (std::uint32_t i = cell.begin; i < cell.split; ++i) {
      const CellEntry& entry = cp_.entries[i];
      const CompiledRule& rule = cp_.rules[entry.rule];
      // An unconditional deny for this actor: never granted, whatever the row.
      if (rule.condition < 0 && eval::role_matches(cp_, rule, rr_.held)) {
        return Verdict{Reason::kDeniedByRule, static_cast<std::int32_t>(entry.rule), 0};
      }
    }
    bool grantable = false;
    for (std::uint32_t i = cell.split; i < cell.end && !grantable; ++i) {
      grantable = eval::role_matches(cp_, cp_.rules[cp_.entries[i].rule], rr_.held);
    }
    if (!grantable) return Verdict{Reason::kNoMatchingAllow, -1, 0};
  }
  return Verdict{};
}

void RowDecider::begin_row(std::string_view subject, std::optional<Timestamp> collected) {
  start_row(SubjectKey{subject, 0, false}, collected);
}

void RowDecider::begin_row_id(std::int64_t subject, std::optional<Timestamp> collected) {
  start_row(SubjectKey{std::string_view(), subject, true}, collected);
}

void RowDecider::start_row(SubjectKey subject, std::optional<Timestamp> collected) {
  const auto format_id = [&] {
    const auto end =
        std::to_chars(subject_digits_, subject_digits_ + sizeof subject_digits_, subject.id).ptr;
    return std::string_view(subject_digits_, static_cast<std::size_t>(end - subject_digits_));
  };
  subject_ = subject.is_id ? (subject_text_read_ ? format_id() : std::string_view()) : subject.text;
  memo_.begin(cp_.conditions.size());
  rr_.collected_at = collected;
  const auto& slots = cp_.attributes.slots;
  for (const std::uint32_t i : subject_slots_) {
    slots_[i] = slots[i].builtin ? RtValue::string(subject_) : RtValue{};
  }
  rr_.consent = ConsentStatus::kNone;
  rr_.consent_li = ConsentStatus::kNone;
  rr_.consent_failed = false;
  rr_.gpc_objected = false;
  if (rr_.malformed || rr_.purpose < 0 || !options_.consent_store || !needs_consent_) return;
  const auto purpose = static_cast<std::uint32_t>(rr_.purpose);
  // The records are read in place, under the store's cache lock, and each
  // is offered to the deciding-record rule as it is resolved (nothing is
  // gathered per row).
  DecidingRecord deciding(cp_, purpose, rr_.now);
  struct Visit {
    RowDecider& decider;
    DecidingRecord& deciding;
  } visit{*this, deciding};
  const Status read = ConsentCacheAccess::visit_records(
      *options_.consent_store, subject,
      [](const std::vector<ConsentRecord>& records, void* context) {
        auto& v = *static_cast<Visit*>(context);
        for (const auto& r : records) {
          const std::int32_t p =
              resolve_purpose(v.decider.cp_, r.purpose, &v.decider.purpose_memo_);
          if (p < 0) continue;  // not a purpose of this policy
          v.deciding.offer(
              ResolvedConsent{static_cast<std::uint32_t>(p), r.state, r.at, r.expires});
        }
      },
      &visit);
  if (!read.ok()) {
    rr_.consent_failed = true;  // fail closed: no consent can be shown
    return;
  }
  rr_.consent = deciding.status();
  rr_.consent_li = rr_.consent;
  if (!signals_touch(cp_, purpose)) return;
  if (subject.is_id && subject_.empty()) subject_ = format_id();
  auto history = options_.consent_store->signals(subject_);
  if (!history.ok()) {
    rr_.consent_failed = true;
    return;
  }
  apply_signals(cp_, purpose, rr_.now, latest_signals(**history, rr_.now), rr_, nullptr);
}

void RowDecider::set_subject_attribute(std::uint32_t slot, const Value& value) {
  if (slot >= slots_.size() || !subject_slot_[slot]) return;
  subject_values_[slot] = value;  // the slot's strings point into this copy
  row_arena_.clear();             // column values are never lists
  slots_[slot] = to_runtime(subject_values_[slot], cp_.attributes.slots[slot].declared, row_arena_);
  memo_.begin(cp_.conditions.size());
}

bool RowDecider::purpose_consent_passes() const {
  if (rr_.malformed || rr_.purpose < 0 || rr_.unknown_role) return false;
  const auto purpose = static_cast<std::size_t>(rr_.purpose);
  if (cp_.purpose_gpc[purpose] && (rr_.consent_failed || rr_.gpc_objected)) return false;
  if (rr_.consent_failed) {
    // No consent can be shown, and an objection cannot be ruled out (as in
    // evaluator.inl).
    return cp_.purpose_basis[purpose] != lang::Basis::kConsent &&
           cp_.purpose_basis[purpose] != lang::Basis::kLegitimateInterest;
  }
  switch (cp_.purpose_basis[purpose]) {
    case lang::Basis::kConsent:
      return rr_.consent == ConsentStatus::kGranted;
    case lang::Basis::kLegitimateInterest:
      return rr_.consent_li != ConsentStatus::kObjected;
    default:
      return true;
  }
}

Verdict RowDecider::decide(std::int32_t category) {
  Source source{&slots_};
  if (category < 0 || !consent_only(category)) {
    return decide_item(cp_, rr_, category, source, scratch_, memo_, nullptr);
  }
  const auto c = static_cast<std::size_t>(category);
  const unsigned state = consent_key();
  if (!(by_consent_known_[c] & (1u << state))) {
    by_consent_[c][state] = decide_item(cp_, rr_, category, source, scratch_, memo_, nullptr);
    by_consent_known_[c] = static_cast<std::uint8_t>(by_consent_known_[c] | (1u << state));
  }
  return by_consent_[c][state];
}

Value RowDecider::apply(const Verdict& verdict, const Value& value) const {
  return apply_transform(cp_.transforms[verdict.transform], value, hasher_);
}

}  // namespace custos::detail
