// A deliberately simple reference interpreter for the differential test of
// the engine: it decides a request directly over the checked syntax tree,
// scanning every statement for every leaf, with no indexes and no
// compilation. It follows tests/engine/SEMANTICS.md section by section and
// favours being obviously correct over being fast. It must not share code
// with src/policy or src/engine.
#pragma once

#include <vector>

#include "custos/consent_record.hpp"
#include "custos/consent_signal.hpp"
#include "custos/decision.hpp"
#include "custos/request.hpp"
#include "custos/value.hpp"
#include "lang/checker.hpp"

namespace custos::test {

// Decides `request` under `policy`. `clock_now` is the engine's clock (used
// when the request has no context.time). `store_records` are the consent
// store's records for the request's subject (nullptr: the engine has no
// store); they are used only when the request has a subject without its own
// `consent` list (SEMANTICS §10). `store_signals` likewise, for a subject
// without its own `signals` (§16).
Decision reference_decide(const lang::CheckedPolicy& policy, const Request& request,
                          Timestamp clock_now, const std::vector<ConsentRecord>* store_records,
                          const std::vector<ConsentSignal>* store_signals = nullptr);

}  // namespace custos::test
