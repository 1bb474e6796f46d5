// Resolving a Request against a compiled policy: names to ids, the actor's
// role set, attribute slots. Shared by the engine's paths and the guard's
// row decisions (engine/row_decider.hpp).
#pragma once

#include <optional>
#include <vector>

#include "base/small_vector.hpp"
#include "custos/request.hpp"
#include "engine/evaluator.hpp"

namespace custos::detail {

// Request-level resolution: everything but the clock and the consent store.
// Small inline buffers keep a typical request's data in one block.
struct Resolution {
  ResolvedRequest request;
  SmallVector<std::int32_t, 4> categories;  // category ids, -1 unknown
  SmallVector<std::uint64_t, 2> held;       // role set
  std::vector<ResolvedConsent> consent;     // from the request, purposes resolved
  std::optional<Timestamp> time;            // the request's context.time
  bool consent_in_request = false;
  bool signals_in_request = false;  // subject.signals given
  bool has_subject = false;
};

// The value of one attribute slot of a request, converted for the condition
// machine; list items go to `arena`, which must not reallocate meanwhile.
RtValue resolve_slot(const AttributeSlot& slot, const Request& r, std::vector<RtValue>& arena);

// List items in a request's attributes: what `arena` must hold.
std::size_t list_items_in(const Request& r);

// Consent records with their purposes resolved; records for purposes the
// policy does not declare are dropped.
// `last` (optional) remembers the last purpose looked up: a guarded scan
// resolves one subject's records per row, nearly all for the same purpose.
struct PurposeMemo {
  std::string name;
  std::int32_t id = -1;
  bool known = false;
};
void resolve_consent(const CompiledPolicy& policy, const std::vector<ConsentRecord>& records,
                     std::vector<ResolvedConsent>& out, PurposeMemo* last = nullptr);
// The id of a record's purpose (-1: not a purpose of this policy).
std::int32_t resolve_purpose(const CompiledPolicy& policy, const std::string& name,
                             PurposeMemo* last);

// Request-level resolution: everything but the clock and the consent store.
void resolve(const CompiledPolicy& policy, const Request& r, Resolution& out);

}  // namespace custos::detail
