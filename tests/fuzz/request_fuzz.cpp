// Fuzz target for the request decoder and the decision path: any bytes are
// decoded, decided against a fixed policy and encoded back. Beyond "no crash,
// no hang, no sanitizer report" it checks that a malformed request is never
// allowed, and that a well-formed one survives to_json/from_json unchanged.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "custos/engine.hpp"

namespace {

const char* kPolicy = R"(policy "fuzz" version 1
category contact.email, contact.phone
category health.allergies sensitive
purpose service.support basis contract
purpose marketing basis consent tcf 1, 3, 4
purpose marketing.partners gpc
purpose analytics basis legitimate_interest tcf 7
signals tcf vendor 755
role agent, marketer
role supervisor : agent
allow agent to read contact for service.support when context.channel == "web" or actor.level >= 2
allow marketer to read contact.email as hash for marketing, analytics
  when subject.age >= 18 and "eu" in actor.regions and now - 30d < context.opened
deny * to use health for marketing when not (subject.id == actor.id)
retain contact for 2y
retain health for 30d for analytics
)";

// Trusts request times and consent, so the fuzzer reaches the consent and
// retention paths with whatever the input carries.
const custos::Engine& engine() {
  static const custos::Engine instance = [] {
    custos::EngineOptions options;
    options.trust_request_time = true;
    options.trust_request_consent = true;
    return custos::Engine(*custos::Policy::compile(kPolicy, "fuzz.custos"), std::move(options));
  }();
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const custos::Request request = custos::Request::from_json(text);
  const custos::Decision decision = engine().check(request);
  (void)decision.to_json(true);
  // Signals take the explaining path too (TC strings decoded, reasons said).
  if (request.subject && request.subject->signals) {
    const custos::Decision explained = engine().explain(request);
    if (explained.allowed != decision.allowed) {
      std::fprintf(stderr, "explain() and check() disagree\n");
      std::abort();
    }
  }
  if (!request.malformed.empty() && decision.allowed) {
    std::fprintf(stderr, "a malformed request was allowed: %s\n", request.malformed.c_str());
    std::abort();
  }
  if (request.malformed.empty()) {
    const std::string once = request.to_json();
    const custos::Request again = custos::Request::from_json(once);
    if (!again.malformed.empty() || again.to_json() != once) {
      std::fprintf(stderr, "to_json/from_json changed the request:\n%s\n%s\n", once.c_str(),
                   again.to_json().c_str());
      std::abort();
    }
  }
  return 0;
}
