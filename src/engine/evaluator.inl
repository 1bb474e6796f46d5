// Implementation of evaluator.hpp's template. Included by it only.
#pragma once

namespace custos::detail {
namespace eval {

inline bool role_matches(const CompiledPolicy& policy, const CompiledRule& rule,
                         const std::uint64_t* held) {
  if (rule.role_count == CompiledRule::kAnyRole) return true;
  const std::uint32_t* roles = policy.role_lists.data() + rule.role_begin;
  for (std::uint32_t i = 0; i < rule.role_count; ++i) {
    if ((held[roles[i] / 64] >> (roles[i] % 64)) & 1) return true;
  }
  return false;
}

inline void note(Explanation* explanation, const CompiledPolicy& policy, std::uint32_t leaf,
                 std::string rule, std::string outcome) {
  if (!explanation) return;
  explanation->push_back(Explained{policy.category_names[policy.leaf_category[leaf]],
                                   std::move(rule), std::move(outcome)});
}

inline Reason consent_reason(ConsentStatus status) {
  switch (status) {
    case ConsentStatus::kGranted:
      return Reason::kNone;
    case ConsentStatus::kWithdrawn:
      return Reason::kConsentWithdrawn;
    case ConsentStatus::kObjected:
      return Reason::kObjected;
    case ConsentStatus::kNone:
      return Reason::kConsentMissing;
  }
  return Reason::kConsentMissing;
}

template <typename Source>
Verdict decide_leaf(const CompiledPolicy& policy, const ResolvedRequest& request,
                    std::uint32_t leaf, Source& source, std::vector<RtValue>& scratch,
                    ConditionMemo& memo, Explanation* explanation) {
  const auto purpose = static_cast<std::uint32_t>(request.purpose);
  const CellRange cell = policy.cell(request.action, purpose, leaf);
  const CellEntry* entries = policy.entries.data();
  const auto evaluate_rule = [&](const CompiledRule& rule, EvalError* error) {
    if (rule.condition < 0) return EvalResult::kTrue;
    const auto c = static_cast<std::uint32_t>(rule.condition);
    return memo.get(c, error, [&](EvalError* e) {
      return evaluate(policy.conditions[c], source, request.now, scratch, e);
    });
  };
  const auto outcome_of = [&](EvalResult r, const EvalError& error, const char* holds) {
    if (r == EvalResult::kTrue) return std::string(holds);
    if (r == EvalResult::kFalse) return std::string("condition false");
    return "condition error: " + describe_error(error, policy.attributes);
  };

  // Deny rules: the first that holds denies; errors deny only when none holds.
  std::int32_t first_error = -1;
  for (std::uint32_t i = cell.begin; i < cell.split; ++i) {
    const CompiledRule& rule = policy.rules[entries[i].rule];
    if (!role_matches(policy, rule, request.held)) {
      if (explanation)
        note(explanation, policy, leaf, policy.rule_ids[entries[i].rule],
             "deny rule: no role of the actor matches");
      continue;
    }
    EvalError error;
    const EvalResult r = evaluate_rule(rule, &error);
    if (explanation)
      note(explanation, policy, leaf, policy.rule_ids[entries[i].rule],
           "deny rule: " + outcome_of(r, error, "applies"));
    if (r == EvalResult::kTrue) {
      return Verdict{Reason::kDeniedByRule, static_cast<std::int32_t>(entries[i].rule), 0};
    }
    if (r == EvalResult::kError && first_error < 0) {
      first_error = static_cast<std::int32_t>(entries[i].rule);
    }
  }
  if (first_error >= 0) return Verdict{Reason::kConditionError, first_error, 0};

  // Allow rules: the most revealing transform; ties to the first.
  std::int32_t best = -1;
  std::uint32_t best_transform = 0;
  int best_tier = -1;
  for (std::uint32_t i = cell.split; i < cell.end; ++i) {
    const CellEntry& entry = entries[i];
    const CompiledRule& rule = policy.rules[entry.rule];
    if (!role_matches(policy, rule, request.held)) {
      if (explanation)
        note(explanation, policy, leaf, policy.rule_ids[entries[i].rule],
             "allow rule: no role of the actor matches");
      continue;
    }
    EvalError error;
    const EvalResult r = evaluate_rule(rule, &error);
    if (r != EvalResult::kTrue) {
      if (explanation)
        note(explanation, policy, leaf, policy.rule_ids[entries[i].rule],
             "allow rule: " + outcome_of(r, error, ""));
      continue;
    }
    const int tier = transform_tier(policy.transforms[entry.transform]);
    if (tier > best_tier) {
      if (best >= 0) {
        if (explanation)
          note(explanation, policy, leaf, policy.rule_ids[static_cast<std::size_t>(best)],
               "allow rule: applies, but " + policy.rule_ids[entry.rule] + " reveals more");
      }
      best = static_cast<std::int32_t>(entry.rule);
      best_transform = entry.transform;
      best_tier = tier;
      if (tier == 2 && !explanation) break;  // nothing reveals more than plain
    } else {
      if (explanation)
        note(explanation, policy, leaf, policy.rule_ids[entries[i].rule],
             "allow rule: applies, but " + policy.rule_ids[static_cast<std::size_t>(best)] +
                 " reveals as much or more and comes first");
    }
  }
  if (best < 0) {
    if (explanation) note(explanation, policy, leaf, "", "no allow rule grants it");
    return Verdict{Reason::kNoMatchingAllow, -1, 0};
  }
  if (explanation)
    note(explanation, policy, leaf, policy.rule_ids[static_cast<std::size_t>(best)],
         "allow rule: grants it as " + policy.transforms[best_transform].to_string());

  // Consent, objection and special categories; GPC objects to purposes
  // marked `gpc` whatever their basis.
  const lang::Basis basis = policy.purpose_basis[purpose];
  const bool sensitive = policy.leaf_sensitive[leaf];
  const bool consent_needed = basis == lang::Basis::kConsent || sensitive;
  const bool li = basis == lang::Basis::kLegitimateInterest;
  const bool gpc_marked = policy.purpose_gpc[purpose] != 0;
  const auto decided_by = [&] {
    return request.consent_failed || !request.consent_record
               ? std::string()
               : " (" + *request.consent_record + " decides)";
  };
  if (explanation && !(consent_needed || li || gpc_marked)) {
    note(explanation, policy, leaf, "",
         "consent: none needed (basis " + std::string(lang::basis_name(basis)) + ")");
  }
  if (consent_needed || li || gpc_marked) {
    const ConsentStatus status = request.consent_failed ? ConsentStatus::kNone : request.consent;
    Reason reason = Reason::kNone;
    // A store that cannot be read, or whose history fails its chain (a
    // tampered store): decide as if the subject had no records, failing
    // closed where that would allow. Consent is missing; whether GPC is on
    // is unknown; for legitimate interest the history may hold an
    // objection (as for a TC string that cannot be read): objected.
    if (request.consent_failed && (gpc_marked || consent_needed)) {
      reason = Reason::kConsentMissing;
    } else if (li && request.consent_failed) {
      reason = Reason::kObjected;
    } else if (request.gpc_objected ||
               (li && !request.consent_failed && request.consent_li == ConsentStatus::kObjected)) {
      reason = Reason::kObjected;
    } else if (consent_needed) {
      reason = consent_reason(status);
    }
    if (explanation && request.signal_notes) {
      for (const auto& n : *request.signal_notes) note(explanation, policy, leaf, "", n);
    }
    if (reason != Reason::kNone) {
      if (explanation)
        note(explanation, policy, leaf, "",
             std::string("consent: ") + reason_code(reason) +
                 (request.consent_failed
                      ? " (the consent store could not be read" +
                            (request.consent_error ? ": " + *request.consent_error : "") +
                            (li && !(gpc_marked || consent_needed) ? "; it may hold an objection)"
                                                                   : ")")
                      : "") +
                 (sensitive && !request.gpc_objected
                      ? " (special category: consent needed whatever the basis)"
                      : "") +
                 decided_by());
      return Verdict{reason, -1, 0};
    }
    if (explanation)
      note(explanation, policy, leaf, "",
           std::string(basis == lang::Basis::kConsent || sensitive ? "consent: granted"
                                                                   : "consent: not objected") +
               decided_by());
  }

  // Retention.
  const std::int64_t period = policy.retention_for(purpose, leaf);
  // "retain rule crm.custos:92 (3y)": where the rule is, its period as written.
  const auto retain_rule = [&] {
    const auto r = static_cast<std::size_t>(
        policy.retention_rule[static_cast<std::size_t>(purpose) * policy.leaf_count + leaf]);
    return "retain rule " + policy.retain_names[r] + " (" + policy.retain_periods[r] + ")";
  };
  if (period >= 0) {
    if (!request.collected_at) {
      if (explanation)
        note(explanation, policy, leaf, "",
             "retention: " + retain_rule() + " applies, but the collection time is unknown");
      return Verdict{Reason::kCollectedUnknown, -1, 0};
    }
    std::int64_t age;
    const bool overflow = __builtin_sub_overflow(request.now, *request.collected_at, &age);
    if (overflow || age > period) {
      if (explanation)
        note(explanation, policy, leaf, "",
             "retention: " + retain_rule() + " applies; collected " +
                 (overflow ? std::string("too long") : lang::format_seconds(age)) +
                 " ago: expired");
      return Verdict{Reason::kRetentionExpired, -1, 0};
    }
    if (explanation)
      note(explanation, policy, leaf, "",
           "retention: " + retain_rule() + " applies; collected " + lang::format_seconds(age) +
               " ago");
  } else if (explanation) {
    note(explanation, policy, leaf, "", "retention: no retain rule applies (no limit)");
  }
  return Verdict{Reason::kNone, best, best_transform};
}

}  // namespace eval

template <typename Source>
Verdict decide_item(const CompiledPolicy& policy, const ResolvedRequest& request,
                    std::int32_t category, Source& source, std::vector<RtValue>& scratch,
                    ConditionMemo& memo, Explanation* explanation) {
  if (request.malformed) return Verdict{Reason::kBadRequest, -1, 0};
  if (request.purpose < 0) return Verdict{Reason::kUnknownPurpose, -1, 0};
  if (category < 0) return Verdict{Reason::kUnknownCategory, -1, 0};
  if (request.unknown_role) return Verdict{Reason::kUnknownRole, -1, 0};
  const std::int32_t leaf = policy.leaf_index[static_cast<std::size_t>(category)];
  if (leaf >= 0) {
    return eval::decide_leaf(policy, request, static_cast<std::uint32_t>(leaf), source, scratch,
                             memo, explanation);
  }
  // A category with descendants: all leaves must be allowed; the least
  // revealing transform wins, ties to the first leaf.
  Verdict chosen;
  int chosen_tier = 3;
  for (std::uint32_t l : policy.leaves_of[static_cast<std::size_t>(category)]) {
    const Verdict v = eval::decide_leaf(policy, request, l, source, scratch, memo, explanation);
    if (v.reason != Reason::kNone) return v;
    const int tier = transform_tier(policy.transforms[v.transform]);
    if (tier < chosen_tier) {
      chosen = v;
      chosen_tier = tier;
    }
  }
  return chosen;
}

}  // namespace custos::detail
