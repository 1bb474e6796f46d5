// Decision: the answer to a Request, per category, with the reasons.
//
//   custos::Decision d = engine.check(request);
//   for (const auto& item : d.items)
//     if (item.allowed) show(item.category, item.transform.to_string());
//     else log(item.category, custos::reason_code(item.reason), item.rule);
//
// `allowed` is true only when every item is. A deny is a value, never an
// error. The JSON form (to_json) has the field names of
// policy-lang/REFERENCE.md, "Decisions".
// Thread-safety: plain value.
#ifndef CUSTOS_DECISION_HPP
#define CUSTOS_DECISION_HPP

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "custos/export.hpp"
#include "custos/limits.hpp"
#include "custos/transform.hpp"

namespace custos {

// Why an item is denied. Listed in the order of precedence: when several
// apply, the first is reported.
enum class Reason : std::uint8_t {
  kNone,  // allowed
  kBadRequest,
  kUnknownPurpose,
  kUnknownCategory,
  kUnknownRole,
  kUnboundTable,
  kUnclassifiedColumn,
  kDeniedByRule,
  kConditionError,
  kNoMatchingAllow,
  kConsentMissing,
  kConsentWithdrawn,
  kObjected,
  kRetentionExpired,
  kCollectedUnknown,
  // The decision could not be written to the audit log the engine was given
  // (EngineOptions::audit): fail closed, whatever the rules said. Reported
  // instead of every other reason.
  kNotRecorded,
};

// "bad_request", "denied_by_rule", ... ("" for kNone).
CUSTOS_EXPORT const char* reason_code(Reason reason);

// One step of an explanation: a candidate rule and what became of it.
struct Explained {
  std::string category;  // the leaf category it was considered for
  std::string rule;      // rule id
  std::string outcome;   // "granted", "denied", "condition false", "condition error: ...", ...
};

struct CUSTOS_EXPORT Decision {
  struct Item {
    std::string category;  // as the request named it
    bool allowed = false;
    Transform transform;  // allowed items: the form to use
    std::string rule;     // the granting rule; for denied_by_rule / condition_error the deny rule
    Reason reason = Reason::kNone;       // denied items: why
    std::vector<Explained> explanation;  // filled by Engine::explain only
  };

  // The policy that decided: its header's name and version and the SHA-256
  // of its text, so a decision (and its audit entry) names exactly the text
  // that made it.
  // Held inline (names are capped by limits::kMaxPolicyNameBytes), so filling
  // it never allocates, on any path.
  struct CUSTOS_EXPORT PolicyId {
    std::array<char, limits::kMaxPolicyNameBytes + 1> name_chars{};  // NUL-terminated
    std::int64_t version = 0;
    std::array<std::uint8_t, 32> sha256{};  // the raw digest

    std::string_view name() const { return name_chars.data(); }
    std::string sha256_hex() const;  // 64 lowercase hex digits
  };

  bool allowed = false;
  std::vector<Item> items;
  PolicyId policy;

  // {"allowed": ..., "items": [...], "policy": {"name", "version", "sha256"}};
  // `explain` adds each item's explanation.
  std::string to_json(bool explain = false) const;
};

}  // namespace custos

#endif  // CUSTOS_DECISION_HPP
