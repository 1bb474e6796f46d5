// A support agent, a marketer and an analyst ask for the same customer's data
// (Luís Gonçalves, customer 1 of the Chinook sample database) under the
// example CRM policy. Shows the three things an app does with Custos:
// load a policy, decide each read, and use the data only in the form allowed.
//
//   custos_example_decide POLICY CONSENT_STORE KEY_FILE
#include <cstdio>
#include <string>

#include "custos/consent.hpp"
#include "custos/engine.hpp"

namespace {

const custos::Timestamp kNow = 1795867200;  // 2026-11-28T12:00:00Z

// The customer's row, as the app read it from the Customer table.
const std::pair<const char*, const char*> kRow[] = {
    {"identity.name", "Luís Gonçalves"},
    {"contact.email", "luisg@embraer.com.br"},
    {"contact.phone", "+55 (12) 3923-5555"},
    {"contact.postcode", "12227-000"},
};

custos::Request request(const char* actor, const char* role, const char* purpose) {
  custos::Request r;
  r.actor.id = actor;
  r.actor.roles = {role};
  r.actor.attributes["regions"] = custos::Value::of_list({custos::Value::of_text("Brazil")});
  r.action = "read";
  r.purpose = purpose;
  r.subject = custos::Request::Subject{"1", {{"country", custos::Value::of_text("Brazil")}}, {}};
  for (const auto& [category, value] : kRow) r.categories.push_back(category);
  r.collected_at = kNow - 200 * 86400;  // collected 200 days ago
  r.context["channel"] = custos::Value::of_text("web");
  return r;
}

// `text` padded with spaces to `width` terminal columns: counted in code
// points, not bytes, so "Luís Gonçalves" lines up with plain ASCII names.
std::string pad(const std::string& text, std::size_t width) {
  std::size_t columns = 0;
  for (unsigned char c : text) columns += (c & 0xC0) != 0x80;  // skip continuation bytes
  return text + std::string(columns < width ? width - columns : 1, ' ');
}

void show(const custos::Engine& engine, const char* who, const custos::Request& r) {
  const custos::Decision d = engine.check(r);
  std::printf("\n%s, for %s:\n", who, r.purpose.c_str());
  for (std::size_t i = 0; i < d.items.size(); ++i) {
    const auto& item = d.items[i];
    if (item.allowed) {
      const custos::Value shown =
          engine.apply(item.transform, custos::Value::of_text(kRow[i].second));
      std::printf("  %s%s(%s, rule %s)\n", pad(item.category, 18).c_str(),
                  pad(shown.is_null() ? "NULL" : shown.text, 25).c_str(),
                  item.transform.to_string().c_str(), item.rule.c_str());
    } else {
      std::printf("  %swithheld: %s%s%s\n", pad(item.category, 18).c_str(),
                  custos::reason_code(item.reason), item.rule.empty() ? "" : ", rule ",
                  item.rule.c_str());
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s POLICY CONSENT_STORE KEY_FILE\n", argv[0]);
    return 2;
  }
  std::vector<custos::Diagnostic> diagnostics;
  auto policy = custos::Policy::load(argv[1], &diagnostics);
  if (!policy.ok()) {
    for (const auto& d : diagnostics) std::fputs(d.to_string().c_str(), stderr);
    return 1;
  }
  auto store = custos::ConsentStore::open(argv[2]);
  auto key = custos::load_pseudonym_key(argv[3]);
  if (!store.ok() || !key.ok()) {
    std::fprintf(stderr, "%s\n", (!store.ok() ? store.status() : key.status()).message().c_str());
    return 1;
  }
  custos::EngineOptions options;
  options.consent_store = store->get();
  options.pseudonym_key = *key;
  options.clock = [] { return kNow; };  // a fixed day, so the demo reads the same every time
  const custos::Engine engine(*policy, options);
  std::printf("policy \"%s\" version %lld, %zu rules\n", (*policy)->name().c_str(),
              static_cast<long long>((*policy)->version()), (*policy)->rule_count());

  show(engine, "support agent", request("agent-7", "support_agent", "service.support"));
  show(engine, "marketer, before any consent", request("m-1", "marketer", "marketing.email"));
  // The customer opts in to marketing e-mail; the store is consulted on the
  // next decision (the request carries no consent of its own).
  if (auto s = (*store)->grant("1", "marketing", kNow - 86400, std::nullopt, "newsletter-form");
      !s.ok()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return 1;
  }
  show(engine, "marketer, after the customer opted in",
       request("m-1", "marketer", "marketing.email"));
  show(engine, "analyst", request("an-3", "analyst", "analytics.sales"));
  return 0;
}
