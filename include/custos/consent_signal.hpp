// ConsentSignal: a consent signal a data subject's device sent, as kept in a
// consent store's history: an IAB TCF TC string written by a consent banner,
// or a Global Privacy Control setting.
//
//   custos::ConsentSignal tc{custos::SignalKind::kTcf, banner_string, false, now, "web-banner"};
//   custos::ConsentSignal gpc{custos::SignalKind::kGpc, "", true, now, "Sec-GPC"};
//
// A policy says which of its purposes a signal touches (`tcf 3, 4`, `gpc`);
// see policy-lang/REFERENCE.md, "Consent signals".
// Thread-safety: plain value.
#ifndef CUSTOS_CONSENT_SIGNAL_HPP
#define CUSTOS_CONSENT_SIGNAL_HPP

#include <cstdint>
#include <string>

#include "custos/value.hpp"

namespace custos {

enum class SignalKind : std::uint8_t { kTcf, kGpc };

struct ConsentSignal {
  SignalKind kind = SignalKind::kGpc;
  std::string tc_string;  // kTcf: the TC string as received, decodable or not
  bool gpc = false;       // kGpc: true when Global Privacy Control is on
  Timestamp at = 0;       // when the signal was received
  std::string source;     // where it came from: "web-banner", "app", "Sec-GPC"
};

}  // namespace custos

#endif  // CUSTOS_CONSENT_SIGNAL_HPP
