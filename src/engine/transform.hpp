// The transforms of allowed data (policy-lang/REFERENCE.md, "Transforms"):
// hash, mask, truncate(N), year, round(N). Text is measured in code points.
// NULL stays NULL; a value a transform cannot handle becomes NULL (fail
// closed: never the original value).
#pragma once

#include <string>
#include <string_view>

#include "crypto/crypto.hpp"
#include "custos/decision.hpp"
#include "custos/value.hpp"

namespace custos::detail {

// The shortest pseudonym key `hash` accepts (128 bits).
inline constexpr std::size_t kMinPseudonymKeyBytes = 16;

// `key`: the pseudonym key (hash only). A key shorter than
// kMinPseudonymKeyBytes makes hash give NULL.
Value apply_transform(const Transform& transform, const Value& value, std::string_view key);
// The same with the key's HMAC prepared once (null: no usable key, hash
// gives NULL): what the engine and the guard use per value.
Value apply_transform(const Transform& transform, const Value& value,
                      const crypto::HmacSha256* hasher);

// The pieces, for tests and the SQLite functions of the guard.
std::string pseudonym(std::string_view key, std::string_view text);  // 16 hex chars
std::string pseudonym(const crypto::HmacSha256& hasher, std::string_view text);
// The same 16 characters, written to `out` without allocating (the guard's
// per-cell path).
void pseudonym_into(const crypto::HmacSha256& hasher, std::string_view text, char out[16]);
std::string mask_text(std::string_view text);
std::string truncate_text(std::string_view text, std::int64_t code_points);

}  // namespace custos::detail
