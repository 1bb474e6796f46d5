// The only door to OpenSSL: hashes, MACs and random bytes. Nothing else in
// Custos includes an OpenSSL header, so a change of crypto library or an
// audit of crypto use touches this module alone.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "custos/status.hpp"

namespace custos::crypto {

using Digest = std::array<std::uint8_t, 32>;

Digest sha256(std::string_view data);
Digest hmac_sha256(std::string_view key, std::string_view data);

// Fills `out` from OpenSSL's CSPRNG; fails only when the CSPRNG does.
Status random_bytes(std::uint8_t* out, std::size_t size);

// Lowercase hex of `size` bytes.
std::string to_hex(const std::uint8_t* data, std::size_t size);
// Decodes lowercase or uppercase hex; false on any other character or an
// odd length.
bool from_hex(std::string_view hex, std::string* out);

}  // namespace custos::crypto
