// The consent store's decision-path cost: records(subject) on a cache miss
// (the file read, and since schema version 3 the subject's chain checked)
// and on a hit, over a store of many subjects with a few records and a
// signal each. Uses only the public API, so the same file builds against
// earlier versions for a before/after comparison.
//
//   custos_bench_consent [--subjects=N] [--runs=R] [--data=DIR]
//
// Prints JSON lines: label, unit (ns per call), median, min, max, runs.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "custos/consent.hpp"

using namespace custos;

int main(int argc, char** argv) {
  int subjects = 5000, runs = 7;
  std::string dir = "/tmp/custos-consent-bench";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--subjects=", 11) == 0) subjects = std::atoi(argv[i] + 11);
    if (std::strncmp(argv[i], "--runs=", 7) == 0) runs = std::atoi(argv[i] + 7);
    if (std::strncmp(argv[i], "--data=", 7) == 0) dir = argv[i] + 7;
  }
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/consent-" + std::to_string(::getpid()) + ".db";
  std::filesystem::remove(path);
  auto store = ConsentStore::open(path);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().message().c_str());
    return 1;
  }
  // Three records and a signal per subject.
  const double fill_start = bench::now_ns();
  for (int s = 0; s < subjects; ++s) {
    const std::string id = std::to_string(100000 + s);
    if (!(*store)->grant(id, "marketing", 100, std::nullopt, "signup").ok() ||
        !(*store)->object(id, "analytics", 150, "call-centre").ok() ||
        !(*store)->signal_gpc(id, s % 2 == 0, 175, "Sec-GPC").ok() ||
        !(*store)->withdraw(id, "marketing", 200, "preference-centre").ok()) {
      std::fprintf(stderr, "append failed\n");
      return 1;
    }
  }
  const double fill_ns = (bench::now_ns() - fill_start) / (subjects * 4.0);
  std::vector<double> miss, hit;
  std::size_t seen = 0;
  for (int r = 0; r < runs; ++r) {
    (*store)->refresh();
    double start = bench::now_ns();
    for (int s = 0; s < subjects; ++s) {
      auto records = (*store)->records(std::to_string(100000 + s));
      if (!records.ok()) {
        std::fprintf(stderr, "%s\n", records.status().message().c_str());
        return 1;
      }
      seen += (*records)->size();
    }
    miss.push_back((bench::now_ns() - start) / subjects);
    start = bench::now_ns();
    for (int s = 0; s < subjects; ++s)
      seen += (*(*store)->records(std::to_string(100000 + s)))->size();
    hit.push_back((bench::now_ns() - start) / subjects);
  }
  const auto print = [&](const char* label, const bench::Summary& s) {
    std::printf(
        "{\"label\": \"%s\", \"unit\": \"ns\", \"median\": %.0f, \"min\": %.0f, \"max\": %.0f, "
        "\"runs\": %d, \"subjects\": %d}\n",
        label, s.median, s.min, s.max, s.runs, subjects);
  };
  print("consent records() cache miss (3 records + 1 signal)", bench::summarize(miss));
  print("consent records() cache hit", bench::summarize(hit));
  std::printf("{\"label\": \"consent append\", \"unit\": \"ns\", \"median\": %.0f, \"runs\": 1}\n",
              fill_ns);
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  return seen == 0;
}
