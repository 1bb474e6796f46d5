// ConsentRecord: one statement of a data subject about one purpose, as kept
// in a consent store's history or carried in a request.
//
//   custos::ConsentRecord r{"marketing.email", custos::ConsentState::kGranted,
//                           1767312000, std::nullopt, "signup-form"};
//
// For a purpose P the deciding record is the latest (by `at`) of the records
// for P and its ancestors; see policy-lang/REFERENCE.md, "Consent".
// Thread-safety: plain value.
#ifndef CUSTOS_CONSENT_RECORD_HPP
#define CUSTOS_CONSENT_RECORD_HPP

#include <optional>
#include <string>

#include "custos/export.hpp"
#include "custos/value.hpp"

namespace custos {

enum class ConsentState : std::uint8_t { kGranted, kWithdrawn, kObjected };

struct ConsentRecord {
  std::string purpose;  // a purpose of the policy, e.g. "marketing.email"
  ConsentState state = ConsentState::kGranted;
  Timestamp at = 0;                  // when the subject said it
  std::optional<Timestamp> expires;  // granted records only: no longer in force from then
  std::string source;                // where it was collected: "signup-form", "call-centre"
};

// "granted", "withdrawn", "objected"; and back (false for anything else).
CUSTOS_EXPORT const char* consent_state_name(ConsentState state);
CUSTOS_EXPORT bool parse_consent_state(const std::string& name, ConsentState* state);

}  // namespace custos

#endif  // CUSTOS_CONSENT_RECORD_HPP
