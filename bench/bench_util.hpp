// Small helpers for Custos's benchmarks: a clock, medians, peak memory, and
// the JSON-line report format shared with ../shared/bench's baseline.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace custos::bench {

inline double now_ns() {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::steady_clock::now().time_since_epoch())
                                 .count());
}

struct Summary {
  double median = 0, min = 0, max = 0;
  int runs = 0;
};

inline Summary summarize(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  const std::size_t n = samples.size();
  Summary s;
  if (n == 0) return s;
  s.median = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
  s.min = samples.front();
  s.max = samples.back();
  s.runs = static_cast<int>(n);
  return s;
}

// The median of the run-by-run ratios a[i] / b[i]: for two measures taken
// in alternation, steadier than the ratio of their medians on a machine
// whose speed drifts between runs.
inline double median_ratio(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> ratios;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (b[i] > 0) ratios.push_back(a[i] / b[i]);
  }
  return summarize(ratios).median;
}

// Peak resident memory of this process so far, in MiB (Linux).
inline double peak_rss_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
  }
  return -1;
}

// One JSON line: {"label":..., "unit":..., "median":..., "min":..., "max":...,
// "runs":..., EXTRA}.
inline void report(const std::string& label, const char* unit, const Summary& s,
                   const std::string& extra = "") {
  std::printf(
      "{\"label\":\"%s\",\"unit\":\"%s\",\"median\":%.2f,\"min\":%.2f,\"max\":%.2f,"
      "\"runs\":%d%s%s}\n",
      label.c_str(), unit, s.median, s.min, s.max, s.runs, extra.empty() ? "" : ",", extra.c_str());
  std::fflush(stdout);
}

// The value of --NAME=VALUE, or def.
inline std::string arg(int argc, char** argv, const char* name, const char* def) {
  const std::string prefix = std::string("--") + name + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0) return argv[i] + prefix.size();
  }
  return def;
}

}  // namespace custos::bench
