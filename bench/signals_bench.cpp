// Decisions from consent signals: a decision whose consent comes from a TC
// string, against the same decision with an explicit consent record.
//
//   custos_bench_signals --data=tests/consent/tc_strings.json [--runs=7]
//
// One policy maps marketing.offers to TCF purposes 1, 3 and 4 for vendor 10.
// Two strings grant it: a real 635-character one (iabtcf-es, core issue 201:
// 20 publisher restrictions, cited in the data file), decided as of
// 2020-09-01, and a 296-character one written for this benchmark (vendors 10
// and 755 as bitfields, for consent and for legitimate interest), decided as of 2026-06-01. Each is
// timed against the same request carrying one granted record instead, on three paths:
//   - request: Engine::check(Request), the string decoded in every decision;
//   - prepared: Engine::check(PreparedRequest, Decision&), decoded once by
//     prepare();
//   - store: the string (or the record) in a ConsentStore, decoded once
//     when the subject's history is cached.
// Every decision is checked to be allowed. Prints one JSON line per
// measure (label, unit, median, min, max, runs, allocations per decision),
// each the median of --runs (at least 5) timed runs of about 0.1 s after a
// warm-up, the two ways of a pair alternating run by run, then their ratio
// (unit "x"); heap allocations are counted by replacing operator new.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <new>
#include <nlohmann/json.hpp>

#include "base/time.hpp"
#include "bench_util.hpp"
#include "custos/consent.hpp"
#include "custos/engine.hpp"

// ---- allocation counting ----
namespace {
std::atomic<long> g_allocations{0};
}
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  return operator new(n);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}

namespace {

using namespace custos;
using namespace custos::bench;

constexpr const char* kPolicy = R"(policy "bench-signals" version 1
signals tcf vendor 10
category loyalty.tier, contact.email
purpose marketing basis consent
purpose marketing.offers tcf 1, 3, 4
role marketer
allow marketer to read loyalty.tier, contact.email for marketing
retain loyalty, contact for 3y
)";

// make_tc_string.py '{"updated": "2026-01-10", "purposes": [1, 3, 4], "vendors": [10, 755],
//                     "li_purposes": [2, 7], "li_vendors": [10, 755]}'
const std::string kWritten =
    "CQdz-EAQdz-EAEsACBENB4EgALAAAEIAAAYgF5gBAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgXmAEAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAACAAA";

volatile long g_sink = 0;

Request base(const std::string& subject, Timestamp now) {
  Request r;
  r.actor.roles = {"marketer"};
  r.action = "read";
  r.purpose = "marketing.offers";
  r.subject = Request::Subject{subject, {}, std::nullopt};
  r.categories = {"loyalty.tier"};
  r.collected_at = now - 86400;
  r.time = now;
  return r;
}

// Times two ways of making the same decision (each returns 1 when allowed),
// alternating them run by run so that a noisy machine slows both alike, and
// reports each and their ratio.
void measure(const std::string& what, int runs, const std::string& extra,
             const std::function<long()>& with_tc, const std::function<long()>& with_record,
             const std::string& tc_label, const std::string& record_label) {
  if (with_tc() != 1 || with_record() != 1) {
    std::fprintf(stderr, "%s: a decision is not allowed\n", what.c_str());
    std::exit(1);
  }
  long sink = 0;
  std::size_t n = 1000;
  for (double start = now_ns(), spent = 0; spent < 1e8; spent = now_ns() - start) {
    for (std::size_t i = 0; i < n; ++i) sink += with_tc() + with_record();
    n *= 2;
  }
  n = std::max<std::size_t>(n / 2, 1000);
  std::vector<double> samples[2];
  long allocations[2] = {0, 0};
  for (int run = 0; run < runs; ++run) {
    for (int which = 0; which < 2; ++which) {
      const auto& one = which == 0 ? with_tc : with_record;
      const long before = g_allocations.load();
      const double start = now_ns();
      for (std::size_t i = 0; i < n; ++i) sink += one();
      samples[which].push_back((now_ns() - start) / static_cast<double>(n));
      allocations[which] = g_allocations.load() - before;
    }
  }
  g_sink = g_sink + sink;
  const auto per = [n](long a) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "\"allocations\":%.2f,",
                  static_cast<double>(a) / static_cast<double>(n));
    return std::string(buf);
  };
  const Summary tc = summarize(samples[0]), record = summarize(samples[1]);
  report(what + ", " + tc_label, "ns/decision", tc, per(allocations[0]) + extra);
  report(what + ", " + record_label, "ns/decision", record, per(allocations[1]) + extra);
  Summary ratio;
  ratio.median = tc.median / record.median;
  ratio.min = tc.min / record.max;
  ratio.max = tc.max / record.min;
  ratio.runs = tc.runs;
  report(what + ": TC string / explicit record", "x", ratio, extra);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = arg(argc, argv, "data", "tests/consent/tc_strings.json");
  const int runs = std::max(5, std::atoi(arg(argc, argv, "runs", "7").c_str()));
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return 1;
  }
  std::string real;
  const auto data = nlohmann::json::parse(in);
  for (const auto& s : data["strings"]) {
    if (s["name"] == "es-issue-201-repeated-restrictions") real = s["tc"];
  }
  struct Case {
    std::string tc;
    std::string name;
    Timestamp now;
  };
  const Case cases[] = {
      {kWritten, "written for the benchmark", *detail::parse_rfc3339("2026-06-01T00:00:00Z")},
      {real, "es-issue-201-repeated-restrictions", *detail::parse_rfc3339("2020-09-01T00:00:00Z")},
  };
  auto policy = Policy::compile(kPolicy, "bench-signals.custos");
  if (!policy.ok() || real.empty()) {
    std::fprintf(stderr, "cannot set up: %s\n",
                 policy.ok() ? "the real string is missing" : policy.status().message().c_str());
    return 1;
  }
  for (const Case& c : cases) {
    const std::string chars = std::to_string(c.tc.size());
    const std::string extra = "\"chars\":" + chars + ",\"string\":\"" + c.name + "\"";
    EngineOptions options;
    options.trust_request_time = true;
    options.trust_request_consent = true;
    options.clock = [now = c.now] { return now; };
    auto store = ConsentStore::open(":memory:");
    if (!store.ok() || !(*store)->signal_tcf("tc", c.tc, c.now - 86400).ok() ||
        !(*store)->grant("record", "marketing.offers", c.now - 86400).ok()) {
      std::fprintf(stderr, "cannot fill the consent store\n");
      return 1;
    }
    options.consent_store = store->get();
    Engine engine(*policy, options);

    Request with_tc = base("m-1", c.now);
    with_tc.subject->signals = Request::Signals{c.tc, false};
    Request with_record = base("m-1", c.now);
    with_record.subject->consent = std::vector<ConsentRecord>{
        ConsentRecord{"marketing.offers", ConsentState::kGranted, c.now - 86400, std::nullopt, ""}};

    const std::string tc_label = "TC string (" + chars + " chars)";
    measure(
        "decision from a Request", runs, extra,
        [&] { return engine.check(with_tc).allowed ? 1L : 0L; },
        [&] { return engine.check(with_record).allowed ? 1L : 0L; }, tc_label + " in the request",
        "explicit record in the request");

    const PreparedRequest prepared_tc = engine.prepare(with_tc);
    const PreparedRequest prepared_record = engine.prepare(with_record);
    Decision out;
    measure(
        "prepared decision", runs, extra,
        [&] {
          engine.check(prepared_tc, out);
          return out.allowed ? 1L : 0L;
        },
        [&] {
          engine.check(prepared_record, out);
          return out.allowed ? 1L : 0L;
        },
        tc_label + " in the request", "explicit record in the request");

    const PreparedRequest stored_tc = engine.prepare(base("tc", c.now));
    const PreparedRequest stored_record = engine.prepare(base("record", c.now));
    measure(
        "prepared decision", runs, extra,
        [&] {
          engine.check(stored_tc, out);
          return out.allowed ? 1L : 0L;
        },
        [&] {
          engine.check(stored_record, out);
          return out.allowed ? 1L : 0L;
        },
        tc_label + " in the consent store", "explicit record in the consent store");
  }
  return 0;
}
