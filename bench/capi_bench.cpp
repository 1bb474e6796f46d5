// What the C API costs per decision: on the same requests, in one run,
//   custos_check            JSON in, JSON out, through custos.h
//   Engine::check           a Request struct in, a Decision struct out
//   json round trip         Request::from_json + Decision::to_json alone,
//                           the reference for what the JSON itself costs
// so that custos_check ~= Engine::check + json round trip + the C API's own
// overhead (a malloc'd copy, the try/catch, the error buffer).
//
//   custos_bench_capi [--policy=policy-lang/examples/crm.custos] [--runs=31] [--rounds=200]
//
// Prints one JSON line per measure ({"label", "unit": "ns", "median", ...},
// per decision), after checking that both paths give the same decision for
// every request.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "custos/custos.h"
#include "custos/engine.hpp"

namespace {

using namespace custos;
using namespace custos::bench;

// 64 requests over crm.custos's roles, purposes and categories: allows
// with every transform, denies for consent, rules and unknown names.
std::vector<std::string> make_requests() {
  const char* roles[] = {"support_agent", "marketer", "analyst", "billing_clerk"};
  const char* purposes[] = {"service.support", "marketing.email", "analytics.sales",
                            "service.billing"};
  const char* categories[] = {"identity.name", "contact.email", "purchase.items", "contact.phone"};
  std::vector<std::string> out;
  for (const char* role : roles) {
    for (const char* purpose : purposes) {
      for (const char* category : categories) {
        out.push_back(
            std::string(R"({"actor": {"id": "a-1", "roles": [")") + role +
            R"("], "attributes": {"regions": ["Brazil"], "level": 2}}, "action": "read", )"
            R"("purpose": ")" +
            purpose +
            R"(", "subject": {"id": "c-42", "attributes": {"country": "Brazil"}}, )"
            R"("categories": [")" +
            category +
            R"(", "identity.name"], "collected_at": "2026-05-01T00:00:00Z", )"
            R"("context": {"attributes": {"channel": "helpdesk", )"
            R"("ticket_opened": "2026-11-20T09:00:00Z"}}})");
      }
    }
  }
  return out;
}

template <typename F>
Summary time_per_call(int runs, int rounds, std::size_t calls_per_round, F&& body) {
  std::vector<double> samples;
  for (int warm = 0; warm < 3; ++warm) body();
  for (int r = 0; r < runs; ++r) {
    const double start = now_ns();
    for (int i = 0; i < rounds; ++i) body();
    samples.push_back((now_ns() - start) / (static_cast<double>(rounds) * calls_per_round));
  }
  return summarize(samples);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string policy_path =
      arg(argc, argv, "policy", CUSTOS_SOURCE_DIR "/policy-lang/examples/crm.custos");
  const int runs = std::atoi(arg(argc, argv, "runs", "31").c_str());
  const int rounds = std::atoi(arg(argc, argv, "rounds", "200").c_str());
  const std::vector<std::string> requests = make_requests();

  // The same policy and options on both sides: a fixed clock (no clock
  // reads in the loop), no consent store, no audit log.
  custos_engine* c_engine =
      custos_engine_open(policy_path.c_str(), R"({"clock": "2026-11-28T12:00:00Z"})");
  if (!c_engine) {
    std::fprintf(stderr, "custos_bench_capi: %s\n", custos_last_error());
    return 1;
  }
  auto policy = Policy::load(policy_path);
  if (!policy.ok()) return 1;
  EngineOptions options;
  options.clock = [] { return Timestamp{1795867200}; };
  const Engine engine(*policy, options);

  std::vector<Request> structs;
  std::vector<Decision> decisions;
  int allowed = 0;
  for (const auto& json : requests) {
    structs.push_back(Request::from_json(json));
    decisions.push_back(engine.check(structs.back()));
    char* out = nullptr;
    if (custos_check(c_engine, json.c_str(), &out) != CUSTOS_OK ||
        decisions.back().to_json() != out) {
      std::fprintf(stderr, "custos_bench_capi: the paths disagree on %s\n", json.c_str());
      return 1;
    }
    allowed += decisions.back().allowed;
    custos_free(out);
  }

  const std::string extra =
      "\"requests\":" + std::to_string(requests.size()) + ",\"allowed\":" + std::to_string(allowed);
  std::size_t sink = 0;
  report("custos_check (C API, JSON in and out)", "ns",
         time_per_call(runs, rounds, requests.size(),
                       [&] {
                         for (const auto& json : requests) {
                           char* out = nullptr;
                           custos_check(c_engine, json.c_str(), &out);
                           sink += out[1];
                           custos_free(out);
                         }
                       }),
         extra);
  report("Engine::check (C++, structs in and out)", "ns",
         time_per_call(runs, rounds, requests.size(),
                       [&] {
                         for (const auto& r : structs) sink += engine.check(r).items.size();
                       }),
         extra);
  report("Request::from_json + Decision::to_json (reference)", "ns",
         time_per_call(runs, rounds, requests.size(),
                       [&] {
                         for (std::size_t i = 0; i < requests.size(); ++i) {
                           sink += Request::from_json(requests[i]).categories.size();
                           sink += decisions[i].to_json().size();
                         }
                       }),
         extra);
  custos_engine_close(c_engine);
  return sink == 0 ? 1 : 0;
}
