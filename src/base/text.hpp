// Small text helpers shared by the modules: did-you-mean suggestions, and the
// nesting of a JSON text measured before it is parsed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace custos::detail {

// Edit distance (optimal string alignment: a swap of neighbours costs 1),
// giving up (returning limit + 1) once it exceeds limit.
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit);

// The candidate closest to `name` when it is close enough to be a likely typo
// (distance at most a third of the name's length, at least 1), else "".
// Ties go to the first candidate in the list, so suggestions are stable.
std::string closest_match(std::string_view name, const std::vector<std::string>& candidates);

// The deepest nesting of JSON arrays and objects in `text` (0 for a scalar),
// counted by a scan of the text alone: brackets inside strings do not count,
// and nothing is parsed or allocated. Check it before handing untrusted JSON
// to a parser, so a hostile document cannot make the parser, or the
// destructor and serialiser of what it built, recurse deeply. The text need
// not be valid JSON.
int json_nesting_depth(std::string_view text);

// Appends `text` as a JSON string, quotes included, escaped as nlohmann's
// dump() escapes (`"`, `\\`, \b \f \n \r \t, other control characters as
// \u00xx; UTF-8 as is). Each byte that is not part of valid UTF-8 becomes
// U+FFFD. For writers on hot paths that build their JSON by hand: no tree,
// one buffer, and no allocation to fail half-way through a JSON value.
void append_json_string(std::string& out, std::string_view text);

// `text` with & < > " ' escaped, for HTML text and attribute values.
std::string html_escape(std::string_view text);

}  // namespace custos::detail
