// The deciding consent record (LANGUAGE.md section 6).
#include "engine/evaluator.hpp"

namespace custos::detail {
namespace {

// objected > withdrawn > granted: at equal time and purpose, the most
// restrictive statement wins.
int severity(ConsentState s) {
  switch (s) {
    case ConsentState::kGranted:
      return 0;
    case ConsentState::kWithdrawn:
      return 1;
    case ConsentState::kObjected:
      return 2;
  }
  return 2;
}

}  // namespace

ConsentStatus deciding_consent(const CompiledPolicy& policy, std::uint32_t purpose,
                               const std::vector<ResolvedConsent>& records, Timestamp now) {
  const ResolvedConsent* decider = nullptr;
  int decider_depth = -1;
  for (const auto& r : records) {
    if (r.at > now) continue;  // not yet in force
    // Only records for the purpose itself or one of its ancestors count.
    bool applies = false;
    for (std::int32_t p = static_cast<std::int32_t>(purpose); p >= 0 && !applies;
         p = policy.purpose_parent[static_cast<std::size_t>(p)]) {
      applies = static_cast<std::uint32_t>(p) == r.purpose;
    }
    if (!applies) continue;
    const int depth = policy.purpose_depth[r.purpose];
    const bool better = !decider || r.at > decider->at ||
                        (r.at == decider->at &&
                         (depth > decider_depth || (depth == decider_depth &&
                                                    severity(r.state) > severity(decider->state))));
    if (better) {
      decider = &r;
      decider_depth = depth;
    }
  }
  if (!decider) return ConsentStatus::kNone;
  switch (decider->state) {
    case ConsentState::kGranted:
      // An expired grant counts as no record; older records do not step in.
      if (decider->expires && *decider->expires <= now) return ConsentStatus::kNone;
      return ConsentStatus::kGranted;
    case ConsentState::kWithdrawn:
      return ConsentStatus::kWithdrawn;
    case ConsentState::kObjected:
      return ConsentStatus::kObjected;
  }
  return ConsentStatus::kNone;
}

}  // namespace custos::detail
