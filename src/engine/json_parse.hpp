// Parsing untrusted JSON (requests, `custos test` case files) so that every
// reader sees the same document.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace custos::detail {

// Parses `text` as JSON, refusing a document in which one object has the
// same key twice (at any depth; keys compare after unescaping, so "a" and
// "\u0061" are the same key). JSON leaves duplicates undefined and parsers
// disagree: nlohmann keeps the last, others the first, so
// {"action": "share", "action": "read"} would be a read here and a share at
// a gateway. Returns a discarded value when the text is not valid JSON or
// has a duplicate; then *duplicate_key names the key as a quoted JSON
// string, cut to 64 code points (`"action"`; empty for invalid JSON). Bound the nesting first
// (json_nesting_depth): parsing recurses on neither, but destroying or
// serialising a deep result does.
nlohmann::json parse_json_unique_keys(std::string_view text, std::string* duplicate_key);

}  // namespace custos::detail
