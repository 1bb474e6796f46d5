// custos signal: consent signals as Custos reads them.
#pragma once

#include <string>

#include "custos/tc_string.hpp"

namespace custos::cli {

// The JSON of `custos signal decode`: the IAB libraries' field names, id
// lists sorted, times as RFC 3339 UTC with one digit of deciseconds
// ("2020-01-26T17:01:00.0Z"), `publisherTC` null when the string has no
// PublisherTC segment, `vendorsDisclosed` and `vendorsAllowed` empty lists
// when it has no such segment. Two-space indented; each id list on one line.
std::string tc_string_json(const TcString& tc);

// A TC string time (deciseconds, UTC) as `2020-01-26T17:01:00.0Z`.
std::string format_tc_time(TcDeciseconds t);

}  // namespace custos::cli
