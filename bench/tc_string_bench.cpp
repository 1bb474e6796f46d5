// TC string decode benchmark: ns per decode_tc_string() on real strings.
//
//   custos_bench_tc_string --data=tests/consent/tc_strings.json [--runs=7]
//
// The strings are two of tests/consent/tc_strings.json, where each cites its
// source: a 317-character one (iabtcf-es, cmpapi issue 95) and a
// 635-character one (iabtcf-es, core issue 201: 20 publisher restrictions).
// bench/run_tc_string.sh runs this and the IAB's own decoder, @iabtcf/core
// under Node, on the same strings. Prints one JSON line per string: the
// median of --runs (at least 5) timed runs after a warm-up, each run decoding
// the string repeatedly for 0.1-0.2 s.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bench_util.hpp"
#include "custos/tc_string.hpp"

namespace {

using namespace custos;
using namespace custos::bench;

// Where the results go, so the decoding is not optimized away.
volatile std::size_t g_sink = 0;

// The benchmark's strings, by their names in the data file.
const char* const kStrings[] = {"es-cmpapi-issue-95", "es-issue-201-repeated-restrictions"};

}  // namespace

int main(int argc, char** argv) {
  const std::string path = arg(argc, argv, "data", "tests/consent/tc_strings.json");
  const int runs = std::max(5, std::atoi(arg(argc, argv, "runs", "7").c_str()));
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return 1;
  }
  const auto data = nlohmann::json::parse(in);
  std::size_t sink = 0;
  for (const char* name : kStrings) {
    std::string tc;
    for (const auto& s : data["strings"]) {
      if (s["name"] == name) tc = s["tc"];
    }
    const auto check = decode_tc_string(tc);
    if (tc.empty() || !check.ok()) {
      std::fprintf(stderr, "%s: missing or does not decode\n", name);
      return 1;
    }
    // Size a run to about 0.2 s from a warm-up of 0.1 s.
    std::size_t n = 1000;
    for (double start = now_ns(), spent = 0; spent < 1e8; spent = now_ns() - start) {
      for (std::size_t i = 0; i < n; ++i)
        sink += decode_tc_string(tc)->vendor_consents.words.size();
      n *= 2;
    }
    std::vector<double> samples;
    for (int run = 0; run < runs; ++run) {
      const double start = now_ns();
      for (std::size_t i = 0; i < n; ++i) {
        const auto decoded = decode_tc_string(tc);
        sink +=
            decoded->publisher_restrictions.words.size() + decoded->vendor_consents.words.size();
      }
      samples.push_back((now_ns() - start) / static_cast<double>(n));
    }
    report("custos decode_tc_string, " + std::to_string(tc.size()) + "-char string", "ns/string",
           summarize(samples),
           "\"chars\":" + std::to_string(tc.size()) + ",\"string\":\"" + name +
               "\",\"decodes_per_run\":" + std::to_string(n));
  }
  g_sink = sink;
  return 0;
}
