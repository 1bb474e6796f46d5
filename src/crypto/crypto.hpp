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
// SHA-256 of `first` followed by `second`, without joining them: a chain link
// (previous hash || entry) hashed in place.
Digest sha256(std::string_view first, std::string_view second);
Digest hmac_sha256(std::string_view key, std::string_view data);

// HMAC-SHA256 under one fixed key, with the key's inner and outer pads hashed
// once: the `hash` transform runs once per cell of a guarded read, and the
// one-shot HMAC() spends most of its 2.6 us fetching and setting up. Same
// result as hmac_sha256(key, data). Thread-safety: mac() is const and safe
// from many threads.
class HmacSha256 {
 public:
  explicit HmacSha256(std::string_view key);
  ~HmacSha256();  // wipes the key's states
  HmacSha256(const HmacSha256&) = default;
  HmacSha256& operator=(const HmacSha256&) = default;
  Digest mac(std::string_view data) const;
  // The MAC of `first` followed by `second`.
  Digest mac(std::string_view first, std::string_view second) const;

 private:
  // Two SHA256_CTX states after the pads (OpenSSL's type stays in crypto.cpp).
  alignas(16) std::array<unsigned char, 128> inner_{}, outer_{};
};

// Ed25519 signatures, keys as PEM text (PKCS#8 private, SPKI public): for
// audit checkpoints and signed policy bundles.
struct Ed25519Keys {
  std::string private_pem;
  std::string public_pem;
};
Result<Ed25519Keys> ed25519_generate();
// The public key (PEM) of a private key (PEM).
Result<std::string> ed25519_public_of(std::string_view private_pem);
// A 64-byte signature of `message`.
Result<std::string> ed25519_sign(std::string_view private_pem, std::string_view message);
// Ok when `signature` is `public_pem`'s signature of `message`; kCorruption
// when it is not; kInvalidArgument when the key cannot be read.
Status ed25519_verify(std::string_view public_pem, std::string_view message,
                      std::string_view signature);

// Fills `out` from OpenSSL's CSPRNG; fails only when the CSPRNG does.
Status random_bytes(std::uint8_t* out, std::size_t size);

// Lowercase hex of `size` bytes.
std::string to_hex(const std::uint8_t* data, std::size_t size);
// Decodes lowercase or uppercase hex; false on any other character or an
// odd length.
bool from_hex(std::string_view hex, std::string* out);

}  // namespace custos::crypto
