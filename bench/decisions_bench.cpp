// Decision benchmark on the shared workload (../shared/bench/README.md).
//
//   python3 ../shared/bench/gen_workload.py --out=DIR
//   python3 bench/workload_to_custos.py DIR/workload.json > DIR/workload.custos
//   custos_bench_decisions --data=DIR [--pool=200000] [--runs=5]
//
// (bench/run_decisions.sh does all of this and runs the baseline too.)
// Prints JSON lines in the baseline's shape. Every decision of
// requests.tsv is checked against `expected` on both paths; timings run over
// a pool of pre-built requests (the first --pool rows), median of --runs
// after a warm-up. Heap allocations are counted by replacing operator new.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <new>
#include <sstream>
#include <thread>

#include "bench_util.hpp"
#include "custos/engine.hpp"
#include "policy_gen.hpp"

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

struct Row {
  std::string role, purpose, category, actor_region, subject_region;
  int age = 0;
  int expected = 0;
};

std::vector<Row> read_rows(const std::string& path) {
  std::vector<Row> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    Row r;
    if (fields >> r.role >> r.purpose >> r.category >> r.actor_region >> r.subject_region >>
        r.age >> r.expected) {
      rows.push_back(std::move(r));
    }
  }
  return rows;
}

// The request an app would build for a row (names as strings).
void fill(Request& q, const Row& r) {
  q.actor.roles.assign(1, r.role);
  q.actor.attributes["region"] = Value::of_text(r.actor_region);
  q.action = "read";
  q.purpose = r.purpose;
  if (!q.subject) q.subject.emplace();
  q.subject->id = "s";
  q.subject->attributes["region"] = Value::of_text(r.subject_region);
  q.subject->attributes["age"] = Value::of_int(r.age);
  q.categories.assign(1, r.category);
  q.time = 1795867200;  // a fixed context.time: no clock call in the loop
}

std::string extra_json(long allocations, long decisions, long mismatches = -1) {
  char buf[200];
  std::snprintf(buf, sizeof buf, "\"allocs_per_decision\":%.3f%s",
                decisions ? static_cast<double>(allocations) / static_cast<double>(decisions) : 0.0,
                mismatches >= 0 ? (",\"mismatches\":" + std::to_string(mismatches)).c_str() : "");
  return buf;
}

// Times `one(i)` over i in [0, n), `runs` times after a warm-up; returns
// ns per call for each run and the allocations of the last run.
template <typename F>
std::vector<double> time_runs(std::size_t n, int runs, F&& one, long* allocations) {
  std::vector<double> ns;
  for (int run = 0; run <= runs; ++run) {
    const long before = g_allocations.load();
    const double start = now_ns();
    for (std::size_t i = 0; i < n; ++i) one(i);
    const double elapsed = now_ns() - start;
    *allocations = g_allocations.load() - before;
    if (run > 0) ns.push_back(elapsed / static_cast<double>(n));
  }
  return ns;
}

// Per-decision latency percentiles, with the timer's own cost subtracted.
void latency(const std::string& label, std::size_t n, const std::function<void(std::size_t)>& one) {
  std::vector<double> overhead;
  for (int i = 0; i < 10001; ++i) {
    const double a = now_ns();
    overhead.push_back(now_ns() - a);
  }
  const double timer = summarize(overhead).median;
  std::vector<double> samples;
  samples.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double a = now_ns();
    one(i);
    samples.push_back(now_ns() - a - timer);
  }
  std::sort(samples.begin(), samples.end());
  const auto at = [&](double q) {
    return samples[static_cast<std::size_t>(q * (samples.size() - 1))];
  };
  std::printf(
      "{\"label\":\"%s\",\"unit\":\"ns/decision\",\"p50\":%.1f,\"p99\":%.1f,\"p999\":%.1f,"
      "\"max\":%.1f,\"timer_overhead_ns\":%.1f,\"samples\":%zu}\n",
      label.c_str(), at(0.5), at(0.99), at(0.999), samples.back(), timer, samples.size());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = arg(argc, argv, "data", "/tmp/anchors/data");
  const std::size_t pool_size =
      std::strtoul(arg(argc, argv, "pool", "200000").c_str(), nullptr, 10);
  const int runs = std::atoi(arg(argc, argv, "runs", "5").c_str());

  // ---- policy ----
  std::ifstream policy_file(dir + "/workload.custos");
  if (!policy_file) {
    std::fprintf(stderr,
                 "%s/workload.custos not found: run bench/run_decisions.sh, or\n"
                 "  python3 bench/workload_to_custos.py %s/workload.json > %s/workload.custos\n",
                 dir.c_str(), dir.c_str(), dir.c_str());
    return 1;
  }
  const std::string text((std::istreambuf_iterator<char>(policy_file)),
                         std::istreambuf_iterator<char>());
  const double rss_before = peak_rss_mib();
  const double t0 = now_ns();
  auto compiled = Policy::compile(text, "workload.custos");
  const double compile_ms = (now_ns() - t0) / 1e6;
  if (!compiled.ok()) {
    std::fprintf(stderr, "%s\n", compiled.status().message().c_str());
    return 1;
  }
  const double rss_policy = peak_rss_mib() - rss_before;
  EngineOptions options;
  options.trust_request_time = true;  // requests carry a fixed context.time
  Engine engine(*compiled, std::move(options));
  const std::vector<Row> rows = read_rows(dir + "/requests.tsv");
  std::printf(
      "{\"system\":\"custos\",\"rules\":%zu,\"requests\":%zu,\"compile_ms\":%.2f,"
      "\"rss_policy_MiB\":%.1f}\n",
      (*compiled)->rule_count(), rows.size(), compile_ms, rss_policy);
  if (rows.empty()) return 1;

  // ---- correctness: every row, both paths ----
  long mismatch_strings = 0, mismatch_prepared = 0, allows = 0;
  {
    Request q;
    Decision d;
    for (const Row& r : rows) {
      fill(q, r);
      const bool allowed = engine.check(q).allowed;
      engine.check(engine.prepare(q), d);
      mismatch_strings += allowed != (r.expected == 1);
      mismatch_prepared += d.allowed != (r.expected == 1);
      allows += allowed;
    }
  }

  // ---- pools ----
  const std::size_t n = std::min(pool_size, rows.size());
  std::vector<Request> requests(n);
  std::vector<PreparedRequest> prepared;
  prepared.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    fill(requests[i], rows[i]);
    prepared.push_back(engine.prepare(requests[i]));
  }

  long sink = 0, allocations = 0;
  Decision reused;
  const auto strings_ns = time_runs(
      n, runs, [&](std::size_t i) { sink += engine.check(requests[i]).allowed; }, &allocations);
  report("custos strings", "ns/decision", summarize(strings_ns),
         extra_json(allocations, static_cast<long>(n), mismatch_strings));
  const auto prepared_ns = time_runs(
      n, runs,
      [&](std::size_t i) {
        engine.check(prepared[i], reused);
        sink += reused.allowed;
      },
      &allocations);
  report("custos prepared", "ns/decision", summarize(prepared_ns),
         extra_json(allocations, static_cast<long>(n), mismatch_prepared));

  // ---- two threads, each over its half of the pool ----
  for (const bool use_prepared : {true, false}) {
    std::vector<double> ns;
    for (int run = 0; run <= runs; ++run) {
      std::atomic<long> total{0};
      const double start = now_ns();
      std::vector<std::thread> threads;
      for (int t = 0; t < 2; ++t) {
        threads.emplace_back([&, t] {
          Decision d;
          long local = 0;
          for (std::size_t i = t; i < n; i += 2) {
            if (use_prepared) {
              engine.check(prepared[i], d);
              local += d.allowed;
            } else {
              local += engine.check(requests[i]).allowed;
            }
          }
          total += local;
        });
      }
      for (auto& th : threads) th.join();
      // Per-thread latency: each thread decided n/2 requests in this time.
      if (run > 0) ns.push_back((now_ns() - start) / (static_cast<double>(n) / 2));
      sink += total;
    }
    report(use_prepared ? "custos prepared 2 threads" : "custos strings 2 threads",
           "ns/decision per thread", summarize(ns));
  }

  // ---- latency percentiles ----
  latency("custos prepared latency", n, [&](std::size_t i) {
    engine.check(prepared[i], reused);
    sink += reused.allowed;
  });
  latency("custos strings latency", n,
          [&](std::size_t i) { sink += engine.check(requests[i]).allowed; });

  // ---- five categories per request ----
  {
    std::vector<Request> five(n);
    std::vector<PreparedRequest> five_prepared;
    five_prepared.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      fill(five[i], rows[i]);
      for (std::size_t k = 1; k < 5; ++k)
        five[i].categories.push_back(rows[(i + k) % rows.size()].category);
      five_prepared.push_back(engine.prepare(five[i]));
    }
    const auto s5 = time_runs(
        n, runs, [&](std::size_t i) { sink += engine.check(five[i]).allowed; }, &allocations);
    report("custos strings 5 categories", "ns/request", summarize(s5),
           extra_json(allocations, static_cast<long>(n)));
    const auto p5 = time_runs(
        n, runs,
        [&](std::size_t i) {
          engine.check(five_prepared[i], reused);
          sink += reused.allowed;
        },
        &allocations);
    report("custos prepared 5 categories", "ns/request", summarize(p5),
           extra_json(allocations, static_cast<long>(n)));
  }

  // ---- compile time by policy size ----
  for (int rules : {1000, 10000}) {
    const std::string generated = generate_policy(rules);
    std::vector<double> ms;
    for (int run = 0; run <= runs; ++run) {
      const double start = now_ns();
      auto p = Policy::compile(generated, "generated.custos");
      if (run > 0) ms.push_back((now_ns() - start) / 1e6);
      if (!p.ok()) {
        std::fprintf(stderr, "generated policy: %s\n", p.status().message().c_str());
        return 1;
      }
    }
    report("custos compile " + std::to_string(rules) + " rules", "ms", summarize(ms));
  }

  std::printf("{\"allows\":%ld,\"peak_rss_MiB\":%.1f,\"sink\":%ld}\n", allows, peak_rss_mib(),
              sink % 2);
  return mismatch_strings + mismatch_prepared == 0 ? 0 : 1;
}
