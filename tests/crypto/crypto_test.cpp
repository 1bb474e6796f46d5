// The crypto module against published test vectors: HMAC-SHA256 from
// RFC 4231 (test cases 1, 2 and 6), one-shot and with the key prepared once;
// the prepared HMAC against OpenSSL's one-shot HMAC at every length.
#include "crypto/crypto.hpp"

#include "catch.hpp"

using namespace custos;

namespace {

std::string hex(const crypto::Digest& d) {
  return crypto::to_hex(d.data(), d.size());
}

struct Vector {
  std::string key, data, mac;
};

std::vector<Vector> rfc4231() {
  return {
      {std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      // A key longer than the block: hashed first.
      {std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
  };
}

}  // namespace

TEST_CASE("crypto: HMAC-SHA256 matches RFC 4231", "[crypto]") {
  for (const auto& v : rfc4231()) {
    CHECK(hex(crypto::hmac_sha256(v.key, v.data)) == v.mac);
    const crypto::HmacSha256 prepared(v.key);
    CHECK(hex(prepared.mac(v.data)) == v.mac);
    CHECK(hex(prepared.mac(v.data)) == v.mac);  // the prepared state is not consumed
    // In two parts, split anywhere: the same MAC as of the whole.
    for (std::size_t at : {std::size_t{0}, std::size_t{3}, v.data.size()}) {
      CHECK(hex(prepared.mac(std::string_view(v.data).substr(0, at),
                             std::string_view(v.data).substr(at))) == v.mac);
    }
  }
}

TEST_CASE("crypto: the prepared HMAC equals OpenSSL's HMAC at every message length", "[crypto]") {
  // Up to 55 bytes the message is padded into one block by hand; from 56
  // on it takes SHA256_Update/Final. Both sides of that boundary, and the
  // 64-byte block edges after it, against the one-shot HMAC().
  const crypto::HmacSha256 prepared("a key of twenty-odd bytes");
  std::string message;
  for (std::size_t size = 0; size <= 130; ++size) {
    INFO("message of " << size << " bytes");
    CHECK(hex(prepared.mac(message)) ==
          hex(crypto::hmac_sha256("a key of twenty-odd bytes", message)));
    CHECK(hex(prepared.mac(std::string_view(message).substr(0, size / 2),
                           std::string_view(message).substr(size / 2))) ==
          hex(prepared.mac(message)));
    message.push_back(static_cast<char>(0x80 + size));  // bytes that look like padding too
  }
  CHECK(hex(prepared.mac("")) != hex(prepared.mac(std::string(1, '\0'))));
}

TEST_CASE("crypto: SHA-256 of the empty string and of abc", "[crypto]") {
  CHECK(hex(crypto::sha256("")) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hex(crypto::sha256("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // Two parts hash as their concatenation.
  CHECK(hex(crypto::sha256("a", "bc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hex(crypto::sha256("", "abc")) == hex(crypto::sha256("abc", "")));
}

TEST_CASE("crypto: Ed25519 signs, verifies, and refuses a changed byte or a foreign key",
          "[crypto]") {
  auto keys = crypto::ed25519_generate();
  REQUIRE(keys.ok());
  CHECK(keys->private_pem.rfind("-----BEGIN PRIVATE KEY-----", 0) == 0);
  CHECK(keys->public_pem.rfind("-----BEGIN PUBLIC KEY-----", 0) == 0);
  auto pub = crypto::ed25519_public_of(keys->private_pem);
  REQUIRE(pub.ok());
  CHECK(*pub == keys->public_pem);
  const std::string message = "custos-audit-checkpoint-v1\n7\n";
  auto signature = crypto::ed25519_sign(keys->private_pem, message);
  REQUIRE(signature.ok());
  CHECK(signature->size() == 64);
  CHECK(crypto::ed25519_verify(keys->public_pem, message, *signature).ok());
  std::string changed = message;
  changed[27] = '8';
  CHECK(crypto::ed25519_verify(keys->public_pem, changed, *signature).code() ==
        StatusCode::kCorruption);
  std::string bad = *signature;
  bad[5] = static_cast<char>(bad[5] ^ 1);
  CHECK(crypto::ed25519_verify(keys->public_pem, message, bad).code() == StatusCode::kCorruption);
  auto other = crypto::ed25519_generate();
  REQUIRE(other.ok());
  CHECK(crypto::ed25519_verify(other->public_pem, message, *signature).code() ==
        StatusCode::kCorruption);
  CHECK(crypto::ed25519_verify("not a key", message, *signature).code() ==
        StatusCode::kInvalidArgument);
  CHECK(crypto::ed25519_sign(keys->public_pem, message).status().code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("crypto: Ed25519 matches RFC 8032 test vector 1", "[crypto]") {
  // RFC 8032 section 7.1, TEST 1: the empty message.
  const std::string seed_hex = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
  std::string seed;
  REQUIRE(crypto::from_hex(seed_hex, &seed));
  // PKCS#8 of an Ed25519 seed: a fixed 16-byte prefix, then the 32 bytes.
  const std::string prefix("\x30\x2e\x02\x01\x00\x30\x05\x06\x03\x2b\x65\x70\x04\x22\x04\x20", 16);
  const std::string der = prefix + seed;
  static const char* kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string b64;
  for (std::size_t i = 0; i < der.size(); i += 3) {
    const unsigned n = (static_cast<unsigned char>(der[i]) << 16) |
                       (i + 1 < der.size() ? static_cast<unsigned char>(der[i + 1]) << 8 : 0) |
                       (i + 2 < der.size() ? static_cast<unsigned char>(der[i + 2]) : 0);
    b64 += kB64[(n >> 18) & 63];
    b64 += kB64[(n >> 12) & 63];
    b64 += i + 1 < der.size() ? kB64[(n >> 6) & 63] : '=';
    b64 += i + 2 < der.size() ? kB64[n & 63] : '=';
  }
  const std::string pem = "-----BEGIN PRIVATE KEY-----\n" + b64 + "\n-----END PRIVATE KEY-----\n";
  auto signature = crypto::ed25519_sign(pem, "");
  REQUIRE(signature.ok());
  CHECK(
      crypto::to_hex(reinterpret_cast<const std::uint8_t*>(signature->data()), signature->size()) ==
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
      "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
}
