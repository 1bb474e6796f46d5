// The deciding consent record (LANGUAGE.md section 6).
#include "base/hierarchy.hpp"
#include "base/time.hpp"
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

// Two records for one purpose at one time: objected > withdrawn > granted,
// and among grants the one that expires first (no expiry: never). Fail
// closed: with a grant that has already expired, the result is no consent.
bool more_restrictive(const ResolvedConsent& a, const ResolvedConsent& b) {
  if (severity(a.state) != severity(b.state)) return severity(a.state) > severity(b.state);
  if (a.state != ConsentState::kGranted) return false;
  if (!a.expires) return false;
  return !b.expires || *a.expires < *b.expires;
}

}  // namespace

const ResolvedConsent* deciding_record(const CompiledPolicy& policy, std::uint32_t purpose,
                                       const std::vector<ResolvedConsent>& records, Timestamp now) {
  const ResolvedConsent* decider = nullptr;
  int decider_depth = -1;
  for (const auto& r : records) {
    if (r.at > now) continue;  // not yet in force
    // Only records for the purpose itself or one of its ancestors count.
    const auto parent_of = [&policy](int p) {
      return policy.purpose_parent[static_cast<std::size_t>(p)];
    };
    if (!is_ancestor_or_self(parent_of, static_cast<int>(r.purpose), static_cast<int>(purpose))) {
      continue;
    }
    const int depth = policy.purpose_depth[r.purpose];
    if (!decider || r.at > decider->at ||
        (r.at == decider->at &&
         (depth > decider_depth || (depth == decider_depth && more_restrictive(r, *decider))))) {
      decider = &r;
      decider_depth = depth;
    }
  }
  return decider;
}

ConsentStatus deciding_consent(const CompiledPolicy& policy, std::uint32_t purpose,
                               const std::vector<ResolvedConsent>& records, Timestamp now) {
  const ResolvedConsent* decider = deciding_record(policy, purpose, records, now);
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

std::string describe_record(const CompiledPolicy& policy, std::uint32_t purpose,
                            const ResolvedConsent* r, Timestamp now) {
  if (!r) {
    return "no record for `" + policy.purpose_names[purpose] + "` or a purpose above it";
  }
  std::string out = std::string("the `") + consent_state_name(r->state) + "` record for `" +
                    policy.purpose_names[r->purpose] + "` of " + format_rfc3339(r->at);
  if (r->expires) {
    out += std::string(*r->expires <= now ? ", which expired " : ", expiring ") +
           format_rfc3339(*r->expires);
  }
  return out;
}

}  // namespace custos::detail
