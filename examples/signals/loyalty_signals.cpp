// A loyalty app where consent arrives as signals (examples/signals/README.md):
// the app's consent banner writes a TC string, which gates personalised
// offers; a browser's Global Privacy Control signal refuses a partner share.
//
//   custos_example_signals POLICY CONSENT_STORE
//
// Keeps the signals in a consent store, as an app server would, and prints
// each decision. Exits 1 if a decision is not the one this example expects
// (the test suite runs it).
#include <cstdio>
#include <string>

#include "custos/consent.hpp"
#include "custos/engine.hpp"

namespace {

const custos::Timestamp kNow = 1780315200;  // 2026-06-01T12:00:00Z

// What the banner wrote on 2026-03-02 (the PublisherTC segment holds Acme's
// own purposes): Maria agreed to TCF purposes 1, 3 and 4 (personalised
// offers); Jonas agreed to 1 only. Written by tests/engine/make_tc_string.py.
const char* kMariaBanner = "CQgcD4AQgcD4AEsACBENB4EgAIAAAAAAAAYgAAAAAAAA.dgAAAEAAAAA";
const char* kJonasBanner = "CQgcD4AQgcD4AEsACBENB4EgAIAAAAAAAAYgAAAAAAAA.cAAAAAAAAAA";

custos::Request request(const char* role, const char* action, const char* purpose,
                        const char* member) {
  custos::Request r;
  r.actor.id = std::string(role) + "-1";
  r.actor.roles = {role};
  r.action = action;
  r.purpose = purpose;
  r.subject = custos::Request::Subject{member, {}, std::nullopt};
  r.categories = std::string(purpose) == "marketing.offers"
                     ? std::vector<std::string>{"loyalty.tier", "purchase.history"}
                     : std::vector<std::string>{"contact.email", "loyalty.tier"};
  r.collected_at = kNow - 30 * 86400;
  return r;
}

int failures = 0;

void show(const custos::Engine& engine, const char* what, const custos::Request& r,
          const char* expected) {
  const custos::Decision d = engine.check(r);
  std::string got;
  for (const auto& item : d.items) {
    got += (got.empty() ? "" : ", ") + item.category + " " +
           (item.allowed ? "as " + item.transform.to_string()
                         : std::string("withheld: ") + custos::reason_code(item.reason));
  }
  const bool ok = got == expected;
  if (!ok) ++failures;
  std::printf("%-62s %s%s\n", what, got.c_str(), ok ? "" : "   <-- UNEXPECTED");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s POLICY CONSENT_STORE\n", argv[0]);
    return 2;
  }
  auto policy = custos::Policy::load(argv[1]);
  if (!policy.ok()) {
    std::fprintf(stderr, "%s\n", policy.status().message().c_str());
    return 1;
  }
  auto store = custos::ConsentStore::open(argv[2]);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().message().c_str());
    return 1;
  }
  custos::ConsentStore& consent = **store;
  for (const char* member : {"maria", "jonas"}) {
    if (!consent.history(member)->empty() || !consent.signal_history(member)->empty()) {
      std::fprintf(stderr, "%s already holds %s's history: give a new file\n", argv[2], member);
      return 2;
    }
  }

  // The app server keeps what the banner and the members said.
  const custos::Timestamp banner = kNow - 91 * 86400;  // 2026-03-02
  if (!consent.signal_tcf("maria", kMariaBanner, banner, "app-banner").ok() ||
      !consent.signal_tcf("jonas", kJonasBanner, banner, "app-banner").ok() ||
      !consent.grant("maria", "partner.offers", banner, std::nullopt, "app-settings").ok() ||
      !consent.grant("jonas", "partner.offers", banner, std::nullopt, "app-settings").ok()) {
    std::fprintf(stderr, "cannot record consent\n");
    return 1;
  }

  custos::EngineOptions options;
  options.clock = [] { return kNow; };
  options.consent_store = &consent;
  options.pseudonym_key = std::string(32, 'k');  // load_pseudonym_key() in a real app
  custos::Engine engine(*policy, options);

  std::printf("Personalised offers (purpose marketing.offers, TCF purposes 1, 3, 4):\n");
  show(engine, "  Maria: her banner choice says yes",
       request("marketer", "read", "marketing.offers", "maria"),
       "loyalty.tier as plain, purchase.history as plain");
  show(engine, "  Jonas: his banner choice says no to profiling",
       request("marketer", "read", "marketing.offers", "jonas"),
       "loyalty.tier withheld: consent_missing, purchase.history withheld: consent_missing");

  std::printf("Partner offers (purpose partner.offers, marked gpc):\n");
  show(engine, "  Maria: consented in the app",
       request("partner_gateway", "share", "partner.offers", "maria"),
       "contact.email as hash, loyalty.tier as plain");
  // Jonas's browser sends `Sec-GPC: 1`; the gateway passes it on with the
  // request (an engine must trust consent data in requests to accept it).
  custos::EngineOptions trusting = options;
  trusting.trust_request_consent = true;
  custos::Engine gateway(*policy, trusting);
  custos::Request with_gpc = request("partner_gateway", "share", "partner.offers", "jonas");
  with_gpc.subject->signals = custos::Request::Signals{std::nullopt, true};
  show(gateway, "  Jonas: consented in the app, but his browser sends GPC", with_gpc,
       "contact.email withheld: objected, loyalty.tier withheld: objected");
  // Or the app server records the signal, and every later read honours it.
  if (!consent.signal_gpc("maria", true, kNow - 60, "Sec-GPC").ok()) return 1;
  show(engine, "  Maria: GPC recorded in the consent store",
       request("partner_gateway", "share", "partner.offers", "maria"),
       "contact.email withheld: objected, loyalty.tier withheld: objected");
  return failures == 0 ? 0 : 1;
}
