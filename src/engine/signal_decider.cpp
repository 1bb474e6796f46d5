// Consent signals in decisions (engine/signals.hpp).
#include <algorithm>

#include "base/time.hpp"
#include "engine/signals.hpp"

namespace custos::detail {
namespace {

// A choice is kept at most 13 months (the TCF's reminder period), of 30
// days each, as `13mo` in a policy.
constexpr std::int64_t kTcMaxAgeSeconds = 13 * 30 * 86400;

// One source's outcome, from the most permissive to the strictest: when the
// sources disagree, the strictest decides.
enum class Outcome : std::uint8_t { kNone, kGranted, kMissing, kWithdrawn, kObjected };

Outcome from_status(ConsentStatus s) {
  switch (s) {
    case ConsentStatus::kNone:
      return Outcome::kNone;
    case ConsentStatus::kGranted:
      return Outcome::kGranted;
    case ConsentStatus::kWithdrawn:
      return Outcome::kWithdrawn;
    case ConsentStatus::kObjected:
      return Outcome::kObjected;
  }
  return Outcome::kObjected;
}

ConsentStatus to_status(Outcome o) {
  switch (o) {
    case Outcome::kNone:
    case Outcome::kMissing:  // no grant that counts: consent_missing where consent is needed
      return ConsentStatus::kNone;
    case Outcome::kGranted:
      return ConsentStatus::kGranted;
    case Outcome::kWithdrawn:
      return ConsentStatus::kWithdrawn;
    case Outcome::kObjected:
      return ConsentStatus::kObjected;
  }
  return ConsentStatus::kObjected;
}

const char* outcome_text(Outcome o) {
  switch (o) {
    case Outcome::kNone:
      return "no deciding record";
    case Outcome::kGranted:
      return "granted";
    case Outcome::kMissing:
      return "no grant that counts";
    case Outcome::kWithdrawn:
      return "withdrawn";
    case Outcome::kObjected:
      return "objected";
  }
  return "objected";
}

std::string tcf_purposes(std::uint16_t mask) {
  std::string out;
  for (int p = 1; p <= 16; ++p) {
    if ((mask >> (p - 1)) & 1) out += (out.empty() ? "" : ", ") + std::to_string(p);
  }
  return out;
}

// Whether `tc` grants every TCF purpose of `mask` to the policy's party,
// by consent or (li) by legitimate interest. With `why`, lists what is
// missing (purpose bits, then the vendor's bit, then restrictions in the
// string's order); without, allocates nothing and stops at the first.
bool tc_grants(const TcString& tc, const lang::ResolvedSignals& who, std::uint16_t mask, bool li,
               std::string* why) {
  bool ok = true;
  const auto fail = [&](const std::string& reason) {
    ok = false;
    if (why) *why += (why->empty() ? "" : "; ") + reason;
  };
  const char* basis = li ? "legitimate interest" : "consent";
  const auto missing_purposes = [&](const TcIdSet& bits, const char* whose) {
    if ((bits.bits & mask) == mask) return;
    ok = false;
    if (!why) return;
    for (int p = 1; p <= 16; ++p) {
      if (((mask >> (p - 1)) & 1) && !bits.has(p)) {
        fail("TCF purpose " + std::to_string(p) + " has no " + whose + basis);
      }
    }
  };
  if (who.publisher) {
    if (!tc.publisher_tc) {
      fail("the string has no PublisherTC segment");
      return false;
    }
    missing_purposes(
        li ? tc.publisher_tc->purposes_li_transparency : tc.publisher_tc->purposes_consent,
        "publisher ");
    return ok;
  }
  const int v = who.vendor;
  missing_purposes(li ? tc.purposes_li_transparency : tc.purposes_consent, "");
  if (!ok && !why) return false;
  if (!(li ? tc.vendor_legitimate_interests : tc.vendor_consents).has(v)) {
    if (!why) return false;
    fail("vendor " + std::to_string(v) + " has no " + basis);
  }
  // Restrictions against the vendor on a mapped purpose: type 0 always,
  // type 2 (require LI) against consent, type 1 (require consent) against LI.
  const auto& r = tc.publisher_restrictions;
  const TcRestrictionType other =
      li ? TcRestrictionType::kRequireConsent : TcRestrictionType::kRequireLegitimateInterest;
  for (std::size_t i = 0; i < r.entries.size(); ++i) {
    const int p = r.entries[i].purpose_id;
    const TcRestrictionType type = r.entries[i].type;
    if (p < 1 || p > 16 || !((mask >> (p - 1)) & 1)) continue;
    if ((type != TcRestrictionType::kNotAllowed && type != other) || !r.has(i, v)) continue;
    if (!why) return false;
    fail(type == TcRestrictionType::kNotAllowed
             ? "a publisher restriction forbids TCF purpose " + std::to_string(p) + " to vendor " +
                   std::to_string(v)
             : "a publisher restriction requires " +
                   std::string(li ? "consent" : "legitimate interest") + " for TCF purpose " +
                   std::to_string(p) + " and vendor " + std::to_string(v));
  }
  return ok;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

}  // namespace

void DecodedSignals::decode(const Request::Signals& signals) {
  has_tc = signals.tcf.has_value();
  tc.reset();
  tc_error.clear();
  gpc = signals.gpc;
  if (!has_tc) return;
  auto decoded = decode_tc_string(*signals.tcf);
  if (decoded.ok()) {
    tc = std::move(*decoded);
  } else {
    tc_error = decoded.status().message();
  }
}

SignalInput latest_signals(const SignalHistory& history, Timestamp now) {
  const SignalHistory::Entry* tc = nullptr;
  const SignalHistory::Entry* gpc = nullptr;
  for (const auto& e : history.entries) {
    if (e.signal.at > now) continue;  // not yet received
    const SignalHistory::Entry*& latest = e.signal.kind == SignalKind::kTcf ? tc : gpc;
    if (!latest || e.signal.at >= latest->signal.at) latest = &e;
  }
  SignalInput in;
  if (tc) {
    in.has_tc = true;
    in.tc = tc->tc ? &*tc->tc : nullptr;
    in.tc_error = tc->tc_error;
  }
  in.gpc = gpc && gpc->signal.gpc;
  return in;
}

void apply_signals(const CompiledPolicy& policy, std::uint32_t purpose, Timestamp now,
                   const SignalInput& in, ResolvedRequest& rr, std::vector<std::string>* notes) {
  const std::uint16_t mask = policy.purpose_tcf[purpose];
  const bool gpc_marked = policy.purpose_gpc[purpose] != 0;
  const bool li_basis = policy.purpose_basis[purpose] == lang::Basis::kLegitimateInterest;
  const std::string& name = policy.purpose_names[purpose];
  const auto say = [notes](std::string text) {
    if (notes) notes->push_back("signals: " + std::move(text));
  };

  // The TC string: one more record, for consent and for legitimate interest.
  Outcome tc_consent = Outcome::kNone, tc_li = Outcome::kNone;
  if (in.has_tc && mask == 0) {
    if (notes) say("purpose `" + name + "` is mapped to no TCF purpose: the TC string is ignored");
  } else if (in.has_tc) {
    const std::string mapped = notes ? "TCF purposes " + tcf_purposes(mask) : std::string();
    // A string that cannot be read for this policy grants nothing, and may
    // hide an objection: consent is missing, legitimate interest objected.
    const auto unreadable = [&](const std::string& why) {
      tc_consent = Outcome::kMissing;
      tc_li = Outcome::kObjected;
      if (notes) say("the TC string grants nothing: " + why);
    };
    if (!policy.signals.tcf) {
      unreadable("the policy has no `signals tcf` line, so its choices belong to no one");
    } else if (!in.tc) {
      unreadable(notes ? "it cannot be decoded: " + std::string(in.tc_error) : std::string());
    } else if (!in.tc->usable) {
      unreadable(notes ? "it is not usable: " + joined(in.tc->problems) : std::string());
    } else {
      const Timestamp updated = in.tc->last_updated / 10;
      const std::string head =
          !notes
              ? std::string()
              : "TC string for " +
                    (policy.signals.publisher ? std::string("the publisher")
                                              : "vendor " + std::to_string(policy.signals.vendor)) +
                    ", last updated " + format_rfc3339(updated) + ": ";
      if (updated > now) {
        say(head + "after the request's time, so not in force yet: ignored");
      } else {
        const bool expired = now - updated > kTcMaxAgeSeconds;
        std::string why_consent, why_li;
        const bool consent_ok =
            tc_grants(*in.tc, policy.signals, mask, false, notes ? &why_consent : nullptr);
        // Legitimate interest is read only where the basis asks for it.
        const bool li_ok =
            !li_basis || tc_grants(*in.tc, policy.signals, mask, true, notes ? &why_li : nullptr);
        tc_consent = consent_ok && !expired ? Outcome::kGranted : Outcome::kMissing;
        // An expired grant is no record; an objection stays one.
        tc_li = !li_ok ? Outcome::kObjected : expired ? Outcome::kNone : Outcome::kGranted;
        if (notes) {
          const std::string age =
              expired ? ", but the string is more than 13 months old: an expired grant" : "";
          say(head + "consent for " + mapped + ": " +
              (consent_ok ? "granted" + age : "not granted (" + why_consent + ")"));
          if (li_basis) {
            say(head + "legitimate interest for " + mapped + ": " +
                (li_ok ? "established" + age : "not established (" + why_li + ")"));
          }
        }
      }
    }
  }

  // GPC: an objection to purposes marked `gpc`, whatever their basis.
  Outcome gpc = Outcome::kNone;
  if (in.gpc && gpc_marked) {
    gpc = Outcome::kObjected;
    rr.gpc_objected = true;
    say("GPC is on and purpose `" + name + "` is marked `gpc`: objected");
  } else if (in.gpc) {
    if (notes) say("GPC is on, but purpose `" + name + "` is not marked `gpc`: no effect");
  } else if (gpc_marked) {
    if (notes) say("GPC is not on: purpose `" + name + "` (marked `gpc`) is not objected");
  }

  const Outcome explicit_consent = from_status(rr.consent);
  const Outcome explicit_li = from_status(rr.consent_li);
  const Outcome consent = std::max({explicit_consent, tc_consent, gpc});
  const Outcome li = std::max({explicit_li, tc_li, gpc});
  if (notes) {
    const Outcome before = li_basis ? explicit_li : explicit_consent;
    const Outcome after = li_basis ? li : consent;
    const Outcome signal = std::max(li_basis ? tc_li : tc_consent, gpc);
    if (before != Outcome::kNone && signal != Outcome::kNone) {
      say(std::string("explicit records: ") + outcome_text(before) +
          "; signals: " + outcome_text(signal) + "; the stricter decides: " + outcome_text(after));
    }
  }
  rr.consent = to_status(consent);
  rr.consent_li = to_status(li);
}

}  // namespace custos::detail
