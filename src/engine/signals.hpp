// Consent signals in decisions (policy-lang/REFERENCE.md, "Consent
// signals"): a TC string is one more deciding record for the purposes a
// policy maps to TCF purposes, GPC an objection to the purposes it marks
// `gpc`; each is combined with the explicit records, and the stricter wins.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custos/consent.hpp"
#include "custos/request.hpp"
#include "custos/tc_string.hpp"
#include "engine/evaluator.hpp"

namespace custos::detail {

// What one decision knows of the subject's signals: from the request, or
// the store's latest of each kind.
struct SignalInput {
  bool has_tc = false;           // a TC string was sent
  const TcString* tc = nullptr;  // decoded; null when it does not decode
  std::string_view tc_error;     // why it does not decode
  bool gpc = false;              // Global Privacy Control is on
};

// A TC string decoded once, with what a SignalInput points to.
struct DecodedSignals {
  bool has_tc = false;
  std::optional<TcString> tc;
  std::string tc_error;
  bool gpc = false;

  void decode(const Request::Signals& signals);
  SignalInput input() const { return SignalInput{has_tc, tc ? &*tc : nullptr, tc_error, gpc}; }
};

// The latest stored signal of each kind in force at `now` (`at` not after
// now; at equal times the one appended last). Points into `history`.
SignalInput latest_signals(const SignalHistory& history, Timestamp now);

// Whether the signals can touch `purpose` at all: it is mapped to TCF
// purposes or marked `gpc` (itself or an ancestor).
inline bool signals_touch(const CompiledPolicy& policy, std::uint32_t purpose) {
  return policy.purpose_tcf[purpose] != 0 || policy.purpose_gpc[purpose] != 0;
}

// Combines the signals with the explicit outcome already in rr.consent (and
// rr.consent_li), for the request purpose: sets rr.consent, rr.consent_li
// and rr.gpc_objected. With `notes`, says why, one sentence each.
void apply_signals(const CompiledPolicy& policy, std::uint32_t purpose, Timestamp now,
                   const SignalInput& signals, ResolvedRequest& rr,
                   std::vector<std::string>* notes);

}  // namespace custos::detail
