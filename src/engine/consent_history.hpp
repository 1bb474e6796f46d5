// A subject's consent history as JSON: what `custos consent show` prints and
// custos_consent_history returns, written in one place.
#pragma once

#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "custos/consent.hpp"

namespace custos::detail {

// {"subject", "records": [{"purpose", "state", "at", "expires"?, "source"}],
//  "signals": [{"tcf" | "gpc", "at", "source"}]}, oldest first.
nlohmann::ordered_json consent_history_json(std::string_view subject,
                                            const std::vector<ConsentRecord>& records,
                                            const std::vector<ConsentSignal>& signals);

}  // namespace custos::detail
