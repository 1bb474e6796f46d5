// Signed policy bundles: every changed byte and every foreign key is
// refused; engines take a bundle's policy only forwards (no downgrade).
#include "custos/bundle.hpp"

#include "catch.hpp"
#include "crypto/crypto.hpp"
#include "custos/engine.hpp"

using namespace custos;

namespace {

std::string policy_text(int version, const std::string& extra = "") {
  return "policy \"edge\" version " + std::to_string(version) +
         "\ncategory contact.email\npurpose support basis contract\nrole agent\n"
         "allow agent to read contact.email as mask for support\nretain contact for 1y\n" +
         extra;
}

constexpr Timestamp kCreated = 1795867200;  // 2026-11-28T12:00:00Z

}  // namespace

TEST_CASE("bundle: create, verify, load", "[bundle]") {
  auto keys = crypto::ed25519_generate();
  REQUIRE(keys.ok());
  auto bundle = create_bundle(policy_text(3), "edge.custos", keys->private_pem, kCreated);
  REQUIRE(bundle.ok());
  std::string text;
  auto manifest = verify_bundle(*bundle, keys->public_pem, &text);
  REQUIRE(manifest.ok());
  CHECK(manifest->name == "edge");
  CHECK(manifest->version == 3);
  CHECK(manifest->created == kCreated);
  const crypto::Digest d = crypto::sha256(policy_text(3));
  CHECK(manifest->sha256 == crypto::to_hex(d.data(), d.size()));
  CHECK(text == policy_text(3));
  CHECK(bundle->rfind("{\"format\":\"custos-bundle-v1\",\"manifest\":{\"created\":"
                      "\"2026-11-28T12:00:00Z\",\"name\":\"edge\",\"sha256\":\"",
                      0) == 0);
  // A policy with errors is never bundled.
  std::vector<Diagnostic> diagnostics;
  CHECK(create_bundle("policy \"x\" version 1\nallow nobody to read x for y\n", "x.custos",
                      keys->private_pem, kCreated, &diagnostics)
            .status()
            .code() == StatusCode::kPolicyError);
  CHECK_FALSE(diagnostics.empty());
}

TEST_CASE("bundle: every changed byte is refused", "[bundle]") {
  auto keys = crypto::ed25519_generate();
  REQUIRE(keys.ok());
  auto bundle = create_bundle(policy_text(1), "edge.custos", keys->private_pem, kCreated);
  REQUIRE(bundle.ok());
  REQUIRE(verify_bundle(*bundle, keys->public_pem).ok());
  std::size_t accepted = 0;
  for (std::size_t i = 0; i < bundle->size(); ++i) {
    for (unsigned char flip : {0x01, 0x20}) {
      std::string changed = *bundle;
      changed[i] = static_cast<char>(changed[i] ^ flip);
      if (verify_bundle(changed, keys->public_pem).ok()) ++accepted;
    }
  }
  CHECK(accepted == 0);
  // Nothing may be added or cut either.
  CHECK_FALSE(verify_bundle(*bundle + "\n", keys->public_pem).ok());
  CHECK_FALSE(verify_bundle(" " + *bundle, keys->public_pem).ok());
  CHECK_FALSE(verify_bundle(bundle->substr(0, bundle->size() - 1), keys->public_pem).ok());
  CHECK(verify_bundle("", keys->public_pem).status().message() ==
        "bundle refused: not a Custos bundle");
}

TEST_CASE("bundle: a foreign key is refused, and so is a malformed trusted key", "[bundle]") {
  auto team = crypto::ed25519_generate();
  auto attacker = crypto::ed25519_generate();
  REQUIRE(team.ok());
  REQUIRE(attacker.ok());
  auto forged = create_bundle(policy_text(9), "edge.custos", attacker->private_pem, kCreated);
  REQUIRE(forged.ok());
  const auto refused = verify_bundle(*forged, team->public_pem);
  CHECK(refused.status().code() == StatusCode::kCorruption);
  CHECK(refused.status().message() ==
        "bundle refused: its signature does not verify under the trusted key (changed, or "
        "signed by another key)");
  CHECK(verify_bundle(*forged, "not a key").status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("bundle: an engine upgrades forwards only; a refusal keeps the running policy",
          "[bundle][engine]") {
  auto v2 = Policy::compile(policy_text(2), "edge.custos");
  auto v1 = Policy::compile(policy_text(1), "edge.custos");
  auto v3 = Policy::compile(policy_text(3), "edge.custos");
  auto v3_other = Policy::compile(policy_text(3, "role auditor\n"), "edge.custos");
  auto other = Policy::compile("policy \"other\" version 9\n", "other.custos");
  REQUIRE(v1.ok());
  REQUIRE(v2.ok());
  REQUIRE(v3.ok());
  REQUIRE(v3_other.ok());
  REQUIRE(other.ok());
  Engine engine(*v2);
  CHECK(engine.upgrade(*v1).message() ==
        "refused: version 1 is older than the running version 2 (a downgrade); the running "
        "policy stays");
  CHECK(engine.policy()->version() == 2);
  CHECK(engine.upgrade(*other).message() ==
        "refused: policy \"other\" is not the running policy \"edge\"; the running policy stays");
  CHECK(engine.upgrade(*v3).ok());
  CHECK(engine.policy()->version() == 3);
  CHECK(engine.upgrade(*v3).ok());  // the same text again
  CHECK(engine.upgrade(*v3_other).message() ==
        "refused: version 3 is already running with another text; the running policy stays");
  CHECK(engine.policy()->sha256() == (*v3)->sha256());
}
