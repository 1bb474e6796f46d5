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

bool DecidingRecord::offer(const ResolvedConsent& r) {
  if (r.at > now_) return false;  // not yet in force
  // Only records for the purpose itself or one of its ancestors count.
  const auto parent_of = [this](int p) {
    return policy_.purpose_parent[static_cast<std::size_t>(p)];
  };
  if (!is_ancestor_or_self(parent_of, static_cast<int>(r.purpose), static_cast<int>(purpose_))) {
    return false;
  }
  const int depth = policy_.purpose_depth[r.purpose];
  if (depth_ >= 0 &&
      !(r.at > best_.at || (r.at == best_.at &&
                            (depth > depth_ || (depth == depth_ && more_restrictive(r, best_)))))) {
    return false;
  }
  best_ = r;
  depth_ = depth;
  return true;
}

ConsentStatus DecidingRecord::status() const {
  if (depth_ < 0) return ConsentStatus::kNone;
  switch (best_.state) {
    case ConsentState::kGranted:
      // An expired grant counts as no record; older records do not step in.
      if (best_.expires && *best_.expires <= now_) return ConsentStatus::kNone;
      return ConsentStatus::kGranted;
    case ConsentState::kWithdrawn:
      return ConsentStatus::kWithdrawn;
    case ConsentState::kObjected:
      return ConsentStatus::kObjected;
  }
  return ConsentStatus::kNone;
}

const ResolvedConsent* deciding_record(const CompiledPolicy& policy, std::uint32_t purpose,
                                       const std::vector<ResolvedConsent>& records, Timestamp now) {
  DecidingRecord pick(policy, purpose, now);
  const ResolvedConsent* decider = nullptr;
  for (const auto& r : records) {
    if (pick.offer(r)) decider = &r;
  }
  return decider;
}

ConsentStatus deciding_consent(const CompiledPolicy& policy, std::uint32_t purpose,
                               const std::vector<ResolvedConsent>& records, Timestamp now) {
  DecidingRecord pick(policy, purpose, now);
  for (const auto& r : records) pick.offer(r);
  return pick.status();
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
