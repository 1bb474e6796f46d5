// Decisions from consent signals, through the C++ API: trust, the prepared
// path, the consent store's signals, explanations, request JSON. The rules
// themselves are pinned case by case in tests/engine/cases/signals*.json.
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "custos/consent.hpp"
#include "engine_test_util.hpp"
#include "tc_string_writer.hpp"

using namespace custos;
using custos::test::compile_or_fail;
using custos::test::encode_tc;
using custos::test::TcSpec;

namespace {

constexpr Timestamp kNow = 1780272000;  // 2026-06-01T00:00:00Z

const char* kPolicy =
    "policy \"s\" version 1\n"
    "signals tcf vendor 755\n"
    "category loyalty.tier\n"
    "category health.dietary sensitive\n"
    "purpose offers basis consent tcf 1, 3, 4\n"
    "purpose newsletter basis consent\n"
    "purpose stats basis legitimate_interest tcf 7\n"
    "purpose sale basis consent gpc\n"
    "purpose conversion basis contract gpc\n"
    "role r\n"
    "allow r to use loyalty, health for *\n"
    "retain * for 3y\n";

// Everything vendor 755 may need: purposes 1, 3, 4 and 7, both ways.
TcSpec granting() {
  TcSpec s;
  s.purposes = {1, 3, 4, 7};
  s.li_purposes = {7};
  s.vendors = {755};
  s.li_vendors = {755};
  return s;
}

Request request(const std::string& purpose, std::optional<Request::Signals> signals,
                const std::string& action = "read") {
  Request r;
  r.actor.roles = {"r"};
  r.action = action;
  r.purpose = purpose;
  r.subject = Request::Subject{"m-1", {}, std::nullopt, std::move(signals)};
  r.categories = {"loyalty.tier"};
  r.collected_at = kNow - 86400;
  r.time = kNow;
  return r;
}

Request::Signals tcf(const std::string& text) {
  Request::Signals s;
  s.tcf = text;
  return s;
}

EngineOptions trusting() {
  EngineOptions o;
  o.trust_request_time = true;
  o.trust_request_consent = true;
  o.clock = [] { return kNow; };
  return o;
}

std::string verdict(const Decision& d) {
  const auto& i = d.items.at(0);
  return i.allowed ? "allow" : std::string("deny ") + reason_code(i.reason);
}

std::vector<std::string> outcomes(const Decision& d) {
  std::vector<std::string> out;
  for (const auto& e : d.items.at(0).explanation) out.push_back(e.outcome);
  return out;
}

std::string temp_path(const char* name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("custos-engine-signals-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / name;
  std::filesystem::remove(path);
  return path.string();
}

}  // namespace

TEST_CASE("signals: the C++ TC string writer writes what make_tc_string.py writes", "[signals]") {
  // make_tc_string.py '{"purposes": [1,3,4,7,8], "vendors": [755], "li_purposes": [7,8],
  //                     "li_vendors": [755]}', read back by @iabtcf/core.
  TcSpec s;
  s.purposes = {1, 3, 4, 7, 8};
  s.li_purposes = {7, 8};
  s.vendors = {755};
  s.li_vendors = {755};
  const std::string tc = encode_tc(s);
  CHECK(tc.substr(0, 40) == "CQdz-EAQdz-EAEsACBENB4EgALMAAAMAAAYgF5gA");
  CHECK(tc.size() == 296);
  const auto decoded = decode_tc_string(tc);
  REQUIRE(decoded.ok());
  CHECK(decoded->usable);
  CHECK(decoded->vendor_consents.ids() == std::vector<int>{755});
  CHECK(decoded->purposes_li_transparency.ids() == std::vector<int>{7, 8});
}

TEST_CASE("signals: a request's signals need an engine that trusts consent in requests",
          "[signals]") {
  const auto policy = compile_or_fail(kPolicy);
  EngineOptions untrusting;
  untrusting.trust_request_time = true;
  untrusting.clock = [] { return kNow; };
  Engine engine(policy, untrusting);
  // Even an objection (GPC) is consent data the request cannot vouch for.
  Request::Signals gpc;
  gpc.gpc = true;
  for (const auto& signals : {tcf(encode_tc(granting())), gpc, Request::Signals{}}) {
    const Decision d = engine.check(request("offers", signals));
    CHECK(verdict(d) == "deny bad_request");
    const Decision e = engine.explain(request("offers", signals));
    REQUIRE_FALSE(e.items[0].explanation.empty());
    CHECK(e.items[0].explanation[0].outcome ==
          "bad request: it carries subject.signals, consent data that this engine does not trust "
          "in requests (EngineOptions::trust_request_consent)");
  }
  CHECK(verdict(engine.check(request("offers", std::nullopt))) == "deny consent_missing");
  Engine trusted(policy, trusting());
  CHECK(verdict(trusted.check(request("offers", tcf(encode_tc(granting()))))) == "allow");
}

TEST_CASE("signals: the prepared path decides as the string path", "[signals]") {
  const auto policy = compile_or_fail(kPolicy);
  Engine engine(policy, trusting());
  TcSpec no4 = granting();
  no4.purposes = {1, 3, 7};
  TcSpec old = granting();
  old.updated = old.created = kNow - 400 * 86400;
  Request::Signals gpc;
  gpc.gpc = true;
  const std::vector<std::pair<Request, std::string>> cases = {
      {request("offers", tcf(encode_tc(granting()))), "allow"},
      {request("offers", tcf(encode_tc(no4))), "deny consent_missing"},
      {request("offers", tcf(encode_tc(old))), "deny consent_missing"},
      {request("offers", tcf("garbage")), "deny consent_missing"},
      {request("stats", tcf("garbage")), "deny objected"},
      {request("stats", tcf(encode_tc(granting()))), "allow"},
      {request("sale", gpc, "share"), "deny objected"},
      {request("conversion", gpc, "share"), "deny objected"},
      {request("conversion", std::nullopt, "share"), "allow"},
      {request("newsletter", tcf(encode_tc(granting()))), "deny consent_missing"},
  };
  for (const auto& [r, want] : cases) {
    INFO(r.to_json());
    CHECK(verdict(engine.check(r)) == want);
    Decision prepared;
    const PreparedRequest p = engine.prepare(r);
    engine.check(p, prepared);
    CHECK(verdict(prepared) == want);
    engine.check(p, prepared);  // decided again from the same decoded string
    CHECK(verdict(prepared) == want);
  }
}

TEST_CASE("signals: explanations say why a TC string did or did not grant", "[signals]") {
  const auto policy = compile_or_fail(kPolicy);
  Engine engine(policy, trusting());
  const std::string head = "signals: TC string for vendor 755, last updated 2026-01-10T00:00:00Z: ";
  SECTION("granted") {
    CHECK(outcomes(engine.explain(request("offers", tcf(encode_tc(granting()))))) ==
          std::vector<std::string>{"allow rule: grants it as plain",
                                   head + "consent for TCF purposes 1, 3, 4: granted",
                                   "consent: granted",
                                   "retention: retain rule t.custos:12 (3y) applies; collected "
                                   "1d ago"});
  }
  SECTION("bits missing, a restriction") {
    TcSpec s = granting();
    s.purposes = {1, 3};
    s.vendors = {10};
    s.restrictions = {{3, 0, {755}}};
    CHECK(outcomes(engine.explain(request("offers", tcf(encode_tc(s))))) ==
          std::vector<std::string>{
              "allow rule: grants it as plain",
              head + "consent for TCF purposes 1, 3, 4: not granted (TCF purpose 4 has no "
                     "consent; vendor 755 has no consent; a publisher restriction forbids TCF "
                     "purpose 3 to vendor 755)",
              "consent: consent_missing"});
  }
  SECTION("legitimate interest") {
    TcSpec s = granting();
    s.li_purposes = {};
    CHECK(outcomes(engine.explain(request("stats", tcf(encode_tc(s))))) ==
          std::vector<std::string>{
              "allow rule: grants it as plain", head + "consent for TCF purposes 7: granted",
              head + "legitimate interest for TCF purposes 7: not established (TCF purpose 7 has "
                     "no legitimate interest)",
              "consent: objected"});
  }
  SECTION("expired") {
    TcSpec s = granting();
    s.created = s.updated = kNow - 400 * 86400;
    CHECK(outcomes(engine.explain(request("offers", tcf(encode_tc(s))))) ==
          std::vector<std::string>{
              "allow rule: grants it as plain",
              "signals: TC string for vendor 755, last updated 2025-04-27T00:00:00Z: consent for "
              "TCF purposes 1, 3, 4: granted, but the string is more than 13 months old: an "
              "expired grant",
              "consent: consent_missing"});
  }
  SECTION("undecodable and unusable strings") {
    CHECK(outcomes(engine.explain(request("offers", tcf("CO-"))))[1] ==
          "signals: the TC string grants nothing: it cannot be decoded: truncated TC string: field "
          "Created of the core segment at bit 6 needs 36 bits, 12 remain");
    TcSpec s = granting();
    s.service_specific = false;
    CHECK(outcomes(engine.explain(request("offers", tcf(encode_tc(s)))))[1] ==
          "signals: the TC string grants nothing: it is not usable: not service-specific "
          "(IsServiceSpecific is 0): global TC strings are no longer valid");
  }
  SECTION("not in force yet, not mapped") {
    TcSpec s = granting();
    s.created = s.updated = kNow + 86400;
    CHECK(outcomes(engine.explain(request("offers", tcf(encode_tc(s)))))[1] ==
          "signals: TC string for vendor 755, last updated 2026-06-02T00:00:00Z: after the "
          "request's time, so not in force yet: ignored");
    CHECK(outcomes(engine.explain(request("newsletter", tcf(encode_tc(granting())))))[1] ==
          "signals: purpose `newsletter` is mapped to no TCF purpose: the TC string is ignored");
  }
  SECTION("GPC, and the stricter of two sources") {
    Request::Signals gpc;
    gpc.gpc = true;
    Request r = request("sale", gpc, "share");
    r.subject->consent = std::vector<ConsentRecord>{
        ConsentRecord{"sale", ConsentState::kGranted, kNow - 86400, std::nullopt, ""}};
    CHECK(outcomes(engine.explain(r)) ==
          std::vector<std::string>{
              "allow rule: grants it as plain",
              "signals: GPC is on and purpose `sale` is marked `gpc`: objected",
              "signals: explicit records: granted; signals: objected; the stricter decides: "
              "objected",
              "consent: objected"});
  }
}

TEST_CASE("signals: without a `signals tcf` line a TC string grants nothing", "[signals]") {
  std::string text = kPolicy;
  text.replace(text.find("signals tcf vendor 755\n"), 23, "");
  const auto policy = compile_or_fail(text);
  Engine engine(policy, trusting());
  const Decision d = engine.explain(request("offers", tcf(encode_tc(granting()))));
  CHECK(verdict(d) == "deny consent_missing");
  CHECK(outcomes(d)[1] ==
        "signals: the TC string grants nothing: the policy has no `signals tcf` line, so its "
        "choices belong to no one");
  CHECK(verdict(engine.check(request("stats", tcf(encode_tc(granting()))))) == "deny objected");
}

TEST_CASE("signals: the consent store's signals decide, and a damaged one fails closed",
          "[signals]") {
  const auto policy = compile_or_fail(kPolicy);
  const auto path = temp_path("store.db");
  auto store = ConsentStore::open(path);
  REQUIRE(store.ok());
  EngineOptions options = trusting();
  options.consent_store = store->get();
  Engine engine(policy, options);
  CHECK(verdict(engine.check(request("offers", std::nullopt))) == "deny consent_missing");
  REQUIRE((*store)->signal_tcf("m-1", encode_tc(granting()), kNow - 86400, "web-banner").ok());
  CHECK(verdict(engine.check(request("offers", std::nullopt))) == "allow");
  Decision prepared;
  engine.check(engine.prepare(request("offers", std::nullopt)), prepared);
  CHECK(verdict(prepared) == "allow");
  REQUIRE((*store)->grant("m-1", "sale", kNow - 86400).ok());
  CHECK(verdict(engine.check(request("sale", std::nullopt, "share"))) == "allow");
  REQUIRE((*store)->signal_gpc("m-1", true, kNow - 60).ok());
  CHECK(verdict(engine.check(request("sale", std::nullopt, "share"))) == "deny objected");
  // Explained from the store as from a request.
  CHECK(outcomes(engine.explain(request("offers", std::nullopt)))[1] ==
        "signals: TC string for vendor 755, last updated 2026-01-10T00:00:00Z: consent for TCF "
        "purposes 1, 3, 4: granted");

  // A signal row Custos could not have written: whatever signals touch is
  // decided as if nothing could be shown.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db,
                       "INSERT INTO consent_signals (subject, kind, value, at) VALUES ('m-1', "
                       "'gpc', 'on', 'soon')",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  (*store)->refresh();
  CHECK(verdict(engine.check(request("offers", std::nullopt))) == "deny consent_missing");
  CHECK(verdict(engine.check(request("conversion", std::nullopt, "share"))) ==
        "deny consent_missing");  // is GPC on? unknown: a gpc purpose fails closed
  CHECK(verdict(engine.check(request("newsletter", std::nullopt))) ==
        "deny consent_missing");  // the records cannot be read either
}

TEST_CASE("signals: request JSON", "[signals][json]") {
  const auto parse = [](const std::string& signals) {
    return Request::from_json(
        R"({"actor": {}, "action": "read", "purpose": "p", "categories": ["c"],
            "subject": {"id": "s", "signals": )" +
        signals + "}}");
  };
  const Request full = parse(R"({"tcf": "CO-x", "gpc": true})");
  CHECK(full.malformed.empty());
  REQUIRE(full.subject->signals);
  CHECK(full.subject->signals->tcf == "CO-x");
  CHECK(full.subject->signals->gpc);
  const Request nulls = parse(R"({"tcf": null, "gpc": null})");
  CHECK(nulls.malformed.empty());
  REQUIRE(nulls.subject->signals);
  CHECK_FALSE(nulls.subject->signals->tcf);
  CHECK_FALSE(nulls.subject->signals->gpc);
  CHECK(parse("[]").malformed == "subject.signals must be an object");
  CHECK(parse(R"({"gpc": "1"})").malformed == "subject.signals.gpc must be true or false");
  CHECK(parse(R"({"tcf": 12})").malformed == "subject.signals.tcf must be a TC string");
  CHECK(parse(R"({"gcp": true})").malformed ==
        R"(subject.signals has an unknown key "gcp" (it takes tcf and gpc))");
  CHECK(parse("null").malformed.empty());
  CHECK_FALSE(parse("null").subject->signals);
  // Written back as read.
  CHECK(full.to_json().find(R"("signals":{"tcf":"CO-x","gpc":true})") != std::string::npos);
  CHECK(Request::from_json(full.to_json()).subject->signals->tcf == "CO-x");
}
