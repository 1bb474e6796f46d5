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

#include <cstdint>
#include <string>
#include <vector>

#include "custos/export.hpp"

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
};

// "bad_request", "denied_by_rule", ... ("" for kNone).
CUSTOS_EXPORT const char* reason_code(Reason reason);

// The form in which an allowed category may be used.
struct CUSTOS_EXPORT Transform {
  enum class Kind : std::uint8_t { kPlain, kHash, kMask, kTruncate, kYear, kRound };
  Kind kind = Kind::kPlain;
  std::int64_t argument = 0;  // N of truncate(N) and round(N)

  // As written in a policy: "plain", "hash", "truncate(3)".
  std::string to_string() const;
  bool operator==(const Transform& o) const { return kind == o.kind && argument == o.argument; }
};

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

  bool allowed = false;
  std::vector<Item> items;

  // {"allowed": ..., "items": [...]}; `explain` adds each item's explanation.
  std::string to_json(bool explain = false) const;
};

}  // namespace custos

#endif  // CUSTOS_DECISION_HPP
