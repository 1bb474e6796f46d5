// Request: "may this actor do this with these categories of this person's
// data, for this purpose, now?" The JSON form is the one format of the CLI,
// the C API and test files (policy-lang/REFERENCE.md, "Requests").
//
//   custos::Request r = custos::Request::from_json(R"({
//     "actor": {"id": "agent-7", "roles": ["support_agent"]},
//     "action": "read", "purpose": "service.support",
//     "subject": {"id": "c-42"}, "categories": ["contact.email"]})");
//   if (!r.malformed.empty()) { /* the engine will deny it bad_request */ }
//
// A malformed request is still a Request: `malformed` says why, and the
// engine denies every category it names with `bad_request` (fail closed).
// Thread-safety: plain value.
#ifndef CUSTOS_REQUEST_HPP
#define CUSTOS_REQUEST_HPP

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custos/consent_record.hpp"
#include "custos/export.hpp"
#include "custos/value.hpp"

namespace custos {

// Attribute values by name, without the root: {"region": "eu"}.
using Attributes = std::map<std::string, Value>;

struct CUSTOS_EXPORT Request {
  struct Actor {
    std::optional<std::string> id;   // actor.id; an integer id becomes its decimal text
    std::vector<std::string> roles;  // names of the policy's roles; unknown ones are ignored
    Attributes attributes;           // actor.NAME
  };
  // Consent signals the subject's device sent (policy-lang/REFERENCE.md,
  // "Consent signals").
  struct Signals {
    std::optional<std::string> tcf;  // an IAB TCF TC string (`IABTCF_TCString`)
    bool gpc = false;                // Global Privacy Control is on (`Sec-GPC: 1`)
  };
  struct Subject {
    std::string id;  // subject.id, the data subject
    Attributes attributes;
    // Given: used instead of the consent store's records (may be empty).
    std::optional<std::vector<ConsentRecord>> consent;
    // Given: used instead of the consent store's signals (may be empty).
    std::optional<Signals> signals = std::nullopt;
  };

  Actor actor;
  std::string action;   // "read" or "share"
  std::string purpose;  // a purpose of the policy
  std::optional<Subject> subject;
  std::vector<std::string> categories;    // at least one
  std::optional<Timestamp> collected_at;  // when the data was collected
  std::optional<Timestamp> time;          // context.time; absent: the engine's clock
  Attributes context;                     // context.NAME
  std::string malformed;                  // non-empty: why the request is malformed

  // Decodes the JSON of a request. Never fails: a malformed document gives
  // a Request whose `malformed` says what is wrong (with whatever
  // categories could be read).
  static Request from_json(std::string_view json);
  std::string to_json() const;
};

}  // namespace custos

#endif  // CUSTOS_REQUEST_HPP
