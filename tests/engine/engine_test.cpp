// The engine's API: the paths (strings, prepared, JSON, explain) agree, the
// decision JSON has the contract's shape, reload swaps policies, the consent
// store is consulted. Decision semantics are covered by the case files
// (tests/engine/cases) and the differential test.
#include "custos/engine.hpp"

#include <filesystem>
#include <fstream>

#include "crypto/crypto.hpp"
#include "custos/consent.hpp"
#include "engine_test_util.hpp"

using namespace custos;
using custos::test::compile_or_fail;

namespace {

const char* kPolicy = R"(policy "t" version 1
category contact.email, contact.phone
category health.allergies sensitive
purpose service.support basis contract
purpose marketing basis consent
role agent
role supervisor : agent
attribute subject.age : int
allow agent to read contact for service.support
allow agent to read contact.email as mask for marketing when subject.age >= 18
@id("no-health") deny * to use health for marketing
retain contact for 3y
)";

// These tests' requests date themselves and some carry consent.
EngineOptions trusting() {
  EngineOptions options;
  options.trust_request_time = true;
  options.trust_request_consent = true;
  return options;
}

// The decision JSON's "policy" member for kPolicy, with the SHA-256
// computed here, independently of the compiler.
std::string policy_json() {
  const crypto::Digest digest = crypto::sha256(kPolicy);
  return R"("policy":{"name":"t","version":1,"sha256":")" +
         crypto::to_hex(digest.data(), digest.size()) + R"("})";
}

Request request(const std::string& purpose, std::vector<std::string> categories) {
  Request r;
  r.actor.id = "a-1";
  r.actor.roles = {"supervisor"};
  r.action = "read";
  r.purpose = purpose;
  r.subject = Request::Subject{"c-42", {{"age", Value::of_int(30)}}, std::nullopt};
  r.categories = std::move(categories);
  r.collected_at = 1735689600;  // 2025-01-01
  r.time = 1795867200;          // 2026-11-28T12:00:00Z
  return r;
}

}  // namespace

TEST_CASE("engine: the decision JSON has the contract's shape", "[engine]") {
  Engine engine(compile_or_fail(kPolicy), trusting());
  const Decision d = engine.check(request("service.support", {"contact.email", "health"}));
  CHECK(d.to_json() ==
        R"({"allowed":false,"items":[{"category":"contact.email","effect":"allow",)"
        R"("transform":"plain","rule":"t.custos:9"},{"category":"health","effect":"deny",)"
        R"("reason":"no_matching_allow"}],)" +
            policy_json() + "}");
  const Decision m = engine.check(request("marketing", {"health.allergies"}));
  CHECK(m.to_json() ==
        R"({"allowed":false,"items":[{"category":"health.allergies","effect":"deny",)"
        R"("reason":"denied_by_rule","rule":"no-health"}],)" +
            policy_json() + "}");
}

TEST_CASE("engine: string, JSON and prepared paths agree", "[engine]") {
  Engine engine(compile_or_fail(kPolicy), trusting());
  std::vector<Request> requests = {
      request("service.support", {"contact", "contact.phone"}),
      request("marketing", {"contact.email", "contact.phone", "nope"}),
      request("nope", {"contact"}),
  };
  Request with_consent = request("marketing", {"contact.email"});
  with_consent.subject->consent = std::vector<ConsentRecord>{
      ConsentRecord{"marketing", ConsentState::kGranted, 1700000000, std::nullopt, ""}};
  requests.push_back(with_consent);
  Request minor = with_consent;
  minor.subject->attributes["age"] = Value::of_int(15);
  requests.push_back(minor);
  Decision reused;
  for (const auto& r : requests) {
    const Decision direct = engine.check(r);
    CHECK(engine.check_json(r.to_json()).to_json() == direct.to_json());
    engine.check(engine.prepare(r), reused);
    CHECK(reused.to_json() == direct.to_json());
    CHECK(engine.explain(r).to_json() == direct.to_json());  // explanations only add detail
  }
  CHECK(engine.check(with_consent).allowed);
  CHECK(engine.check(with_consent).items[0].transform.to_string() == "mask");
  CHECK(engine.check(minor).items[0].reason == Reason::kNoMatchingAllow);
}

TEST_CASE("engine: explain names every candidate and what became of it", "[engine]") {
  Engine engine(compile_or_fail(kPolicy), trusting());
  Request r = request("marketing", {"contact.email"});
  r.subject->attributes.erase("age");
  const Decision d = engine.explain(r);
  REQUIRE(d.items.size() == 1);
  CHECK(d.items[0].reason == Reason::kNoMatchingAllow);
  REQUIRE(d.items[0].explanation.size() == 2);
  CHECK(d.items[0].explanation[0].rule == "t.custos:10");
  CHECK(d.items[0].explanation[0].outcome ==
        "allow rule: condition error: missing attribute `subject.age`");
  CHECK(d.items[0].explanation[1].outcome == "no allow rule grants it");
}

TEST_CASE("engine: malformed requests are denied bad_request, per category", "[engine]") {
  Engine engine(compile_or_fail(kPolicy), trusting());
  const Decision d = engine.check_json(
      R"({"actor": {"roles": "agent"}, "action": "read", "purpose": "service.support",
          "categories": ["contact.email", "health"]})");
  REQUIRE(d.items.size() == 2);
  CHECK_FALSE(d.allowed);
  CHECK(d.items[0].reason == Reason::kBadRequest);
  CHECK(d.items[1].reason == Reason::kBadRequest);
  for (const char* bad : {"", "[]", "{", "null", "{\"categories\": 3}", "\"x\""}) {
    INFO(bad);
    const Decision e = engine.check_json(bad);
    CHECK_FALSE(e.allowed);
    CHECK(e.items.empty());
  }
  Request use = request("service.support", {"contact"});
  use.action = "use";  // only read and share can be requested
  CHECK(engine.check(use).items[0].reason == Reason::kBadRequest);
}

TEST_CASE("engine: reload swaps the policy; old prepared requests still decide right", "[engine]") {
  Engine engine(compile_or_fail(kPolicy), trusting());
  const Request r = request("service.support", {"contact.phone"});
  const PreparedRequest prepared = engine.prepare(r);
  Decision d;
  engine.check(prepared, d);
  CHECK(d.allowed);
  engine.reload(
      compile_or_fail(std::string(kPolicy) + "deny supervisor to read contact.phone for *\n"));
  CHECK(engine.check(r).items[0].reason == Reason::kDeniedByRule);
  engine.check(prepared, d);
  CHECK(d.items[0].reason == Reason::kDeniedByRule);
  CHECK(d.items[0].rule == "t.custos:13");
}

TEST_CASE("engine: the consent store is consulted when the request carries no consent",
          "[engine][consent]") {
  const auto path = (std::filesystem::temp_directory_path() /
                     ("custos-engine-consent-" + std::to_string(::getpid()) + ".db"))
                        .string();
  std::filesystem::remove(path);
  auto store = ConsentStore::open(path);
  REQUIRE(store.ok());
  EngineOptions options = trusting();
  options.consent_store = store->get();
  Engine engine(compile_or_fail(kPolicy), options);
  const Request r = request("marketing", {"contact.email"});
  CHECK(engine.check(r).items[0].reason == Reason::kConsentMissing);
  REQUIRE((*store)->grant("c-42", "marketing", 1700000000).ok());
  CHECK(engine.check(r).allowed);
  Decision d;
  engine.check(engine.prepare(r), d);
  CHECK(d.allowed);
  REQUIRE((*store)->withdraw("c-42", "marketing", 1700000100).ok());
  CHECK(engine.check(r).items[0].reason == Reason::kConsentWithdrawn);
  // Consent in the request overrides the store, even when empty.
  Request own = r;
  own.subject->consent = std::vector<ConsentRecord>{};
  CHECK(engine.check(own).items[0].reason == Reason::kConsentMissing);
  std::filesystem::remove(path);
}

TEST_CASE("engine: the clock is used when the request gives no time", "[engine]") {
  EngineOptions options = trusting();
  options.clock = [] { return Timestamp{1735689600 + 4 * 365 * 86400}; };  // 4 years later
  Engine engine(compile_or_fail(kPolicy), options);
  Request r = request("service.support", {"contact.email"});
  CHECK(engine.check(r).allowed);  // the request's own time: within 3 years
  r.time.reset();
  CHECK(engine.check(r).items[0].reason == Reason::kRetentionExpired);
}

TEST_CASE("engine: pseudonym keys are created once, then read back", "[engine][key]") {
  const auto path =
      (std::filesystem::temp_directory_path() / ("custos-key-" + std::to_string(::getpid())))
          .string();
  std::filesystem::remove(path);
  auto created = load_pseudonym_key(path);
  REQUIRE(created.ok());
  CHECK(created->size() == 32);
  CHECK((std::filesystem::status(path).permissions() & std::filesystem::perms::group_all) ==
        std::filesystem::perms::none);
  auto again = load_pseudonym_key(path);
  REQUIRE(again.ok());
  CHECK(*again == *created);
  {
    std::ofstream out(path, std::ios::trunc);
    out << "not hex\n";
  }
  CHECK(load_pseudonym_key(path).status().code() == StatusCode::kCorruption);
  std::filesystem::remove(path);
  EngineOptions options;
  options.pseudonym_key = *created;
  Engine engine(compile_or_fail(kPolicy), options);
  const Value h = engine.apply(Transform{Transform::Kind::kHash, 0}, Value::of_text("x"));
  CHECK(h.text.size() == 16);
}

TEST_CASE("engine: a null policy fails closed instead of crashing", "[engine]") {
  Engine engine(nullptr, trusting());
  const Request r = request("service.support", {"contact.email"});
  const Decision d = engine.check(r);
  REQUIRE(d.items.size() == 1);
  CHECK_FALSE(d.allowed);
  CHECK(d.items[0].reason == Reason::kUnknownPurpose);
  engine.reload(compile_or_fail(kPolicy));
  CHECK(engine.check(r).allowed);
  engine.reload(nullptr);
  CHECK(engine.check(r).items[0].reason == Reason::kUnknownPurpose);
}

TEST_CASE("engine: by default a request may not date itself or carry consent", "[engine][trust]") {
  // Found by an adversarial trial: a request dated 0001 escaped retention and
  // consent expiry, and a request carrying a grant consented for its subject.
  EngineOptions options;
  options.clock = [] { return Timestamp{1795867200}; };  // 2026-11-28T12:00:00Z
  Engine engine(compile_or_fail(kPolicy), options);
  Request dated = request("service.support", {"contact.email", "contact.phone"});
  dated.time = -62135596800;  // 0001-01-01T00:00:00Z
  Decision d = engine.check(dated);
  REQUIRE(d.items.size() == 2);
  CHECK(d.items[0].reason == Reason::kBadRequest);
  CHECK(d.items[1].reason == Reason::kBadRequest);
  d = engine.explain(dated);
  REQUIRE_FALSE(d.items[0].explanation.empty());
  CHECK(d.items[0].explanation[0].outcome ==
        "bad request: it carries context.time, and this engine does not trust request times "
        "(EngineOptions::trust_request_time)");
  Decision prepared;
  engine.check(engine.prepare(dated), prepared);
  CHECK(prepared.items[0].reason == Reason::kBadRequest);

  Request undated = dated;
  undated.time.reset();
  CHECK(engine.check(undated).allowed);  // the engine's clock: collected 2025, kept 3y

  Request granting = undated;
  granting.purpose = "marketing";
  granting.categories = {"contact.email"};
  granting.subject->consent = std::vector<ConsentRecord>{
      ConsentRecord{"marketing", ConsentState::kGranted, 1700000000, std::nullopt, "self"}};
  CHECK(engine.check(granting).items[0].reason == Reason::kBadRequest);

  EngineOptions trusted = options;
  trusted.trust_request_consent = true;
  Engine trusting_consent(compile_or_fail(kPolicy), trusted);
  CHECK(trusting_consent.check(granting).allowed);
  CHECK(trusting_consent.check(dated).items[0].reason == Reason::kBadRequest);  // time: still not
}

TEST_CASE("engine: every decision names its policy: name, version, SHA-256", "[engine]") {
  Engine engine(compile_or_fail(kPolicy), trusting());
  const Request r = request("service.support", {"contact.email"});
  const crypto::Digest digest = crypto::sha256(kPolicy);
  const std::string sha = crypto::to_hex(digest.data(), digest.size());
  Decision d = engine.check(r);
  CHECK(d.policy.name() == "t");
  CHECK(d.policy.version == 1);
  CHECK(d.policy.sha256_hex() == sha);
  CHECK(engine.policy()->sha256() == sha);
  const std::string v2 =
      std::string(kPolicy).replace(std::string(kPolicy).find("version 1"), 9, "version 2");
  engine.reload(compile_or_fail(v2));
  const crypto::Digest digest2 = crypto::sha256(v2);
  engine.check(engine.prepare(r), d);  // the prepared path fills it too
  CHECK(d.policy.version == 2);
  CHECK(d.policy.sha256_hex() == crypto::to_hex(digest2.data(), digest2.size()));
  CHECK(d.policy.sha256_hex() != sha);
}

TEST_CASE("engine: explain names the consent record and the retain rule, in policy units",
          "[engine][explain]") {
  Engine engine(compile_or_fail("policy \"t\" version 1\n"
                                "category contact.email, contact.phone\n"
                                "purpose support basis contract\n"
                                "purpose marketing basis consent\n"
                                "purpose marketing.email\n"
                                "role agent\n"
                                "allow agent to read contact for support, marketing\n"
                                "retain contact.email for 90d for marketing\n"
                                "retain contact.email for 3y\n"),
                trusting());
  Request r;
  r.actor.roles = {"agent"};
  r.action = "read";
  r.purpose = "marketing.email";
  const Timestamp now = 1'800'000'000;
  r.subject = Request::Subject{
      "c-1",
      {},
      std::vector<ConsentRecord>{
          {"marketing", ConsentState::kGranted, now - 86400, {}, "web"},
          {"marketing.email", ConsentState::kGranted, now - 3600, now + 86400, "app"}}};
  r.categories = {"contact.email", "contact.phone"};
  r.time = now;
  r.collected_at = now - (365 + 35) * 86400 - 4 * 3600;
  const auto outcomes = [](const Decision::Item& item) {
    std::vector<std::string> out;
    for (const auto& e : item.explanation) out.push_back(e.outcome);
    return out;
  };
  Decision d = engine.explain(r);
  REQUIRE(d.items.size() == 2);
  CHECK(outcomes(d.items[0]) ==
        std::vector<std::string>{
            "allow rule: grants it as plain",
            "consent: granted (the `granted` record for `marketing.email` of "
            "2027-01-15T07:00:00Z, expiring 2027-01-16T08:00:00Z decides)",
            "retention: retain rule t.custos:8 (90d) applies; collected 1y 35d 4h ago: expired"});
  CHECK(outcomes(d.items[1]) ==
        std::vector<std::string>{"allow rule: grants it as plain",
                                 "consent: granted (the `granted` record for `marketing.email` of "
                                 "2027-01-15T07:00:00Z, expiring 2027-01-16T08:00:00Z decides)",
                                 "retention: no retain rule applies (no limit)"});
  r.purpose = "support";
  r.subject->consent->clear();
  r.collected_at.reset();
  d = engine.explain(r);
  CHECK(outcomes(d.items[0]) ==
        std::vector<std::string>{
            "allow rule: grants it as plain", "consent: none needed (basis contract)",
            "retention: retain rule t.custos:9 (3y) applies, but the collection time is unknown"});
  r.purpose = "marketing";
  d = engine.explain(r);
  CHECK(outcomes(d.items[1]) ==
        std::vector<std::string>{
            "allow rule: grants it as plain",
            "consent: consent_missing (no record for `marketing` or a purpose above it decides)"});
}
