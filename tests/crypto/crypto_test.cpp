// The crypto module against published test vectors: HMAC-SHA256 from
// RFC 4231 (test cases 1, 2 and 6), one-shot and with the key prepared once.
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
  }
}

TEST_CASE("crypto: SHA-256 of the empty string and of abc", "[crypto]") {
  CHECK(hex(crypto::sha256("")) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hex(crypto::sha256("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
