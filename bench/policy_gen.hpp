// Generates large, valid policies for the front-end and compile benchmarks:
// the shape of ../shared/bench's workload (20 roles, 50 purposes and 200
// categories in two-level hierarchies) with as many rules as asked for.
#pragma once

#include <cstdint>
#include <string>

namespace custos::bench {

inline std::string generate_policy(int rules, std::uint64_t seed = 20240601) {
  std::uint64_t state = seed;
  const auto next = [&state] {  // splitmix64
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  };
  const auto pick = [&](int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); };
  std::string out = "policy \"generated\" version 1\n";
  out +=
      "attribute actor.region : string\nattribute subject.region : string\n"
      "attribute subject.age : int\n";
  for (int t = 0; t < 20; ++t) {
    out += "category c" + std::to_string(t) + ".s0";
    for (int s = 1; s < 9; ++s) out += ", c" + std::to_string(t) + ".s" + std::to_string(s);
    out += "\n";
  }
  for (int t = 0; t < 10; ++t) {
    out += "purpose p" + std::to_string(t) + " basis contract\n";
    out += "purpose p" + std::to_string(t) + ".d, p" + std::to_string(t) + ".a, p" +
           std::to_string(t) + ".u, p" + std::to_string(t) + ".m\n";
  }
  out += "role r0";
  for (int r = 1; r < 20; ++r) out += ", r" + std::to_string(r);
  out += "\nretain * for 2y\n";
  static const char* kSubs[] = {"d", "a", "u", "m"};
  for (int i = 0; i < rules; ++i) {
    const bool deny = pick(20) == 0;
    const std::string role = deny && pick(5) == 0 ? "*" : "r" + std::to_string(pick(20));
    const std::string category =
        "c" + std::to_string(pick(20)) + (pick(10) < 3 ? "" : ".s" + std::to_string(pick(9)));
    const std::string purpose =
        "p" + std::to_string(pick(10)) + (pick(10) < 3 ? "" : std::string(".") + kSubs[pick(4)]);
    out += "@id(\"rule-" + std::to_string(i) + "\") " + (deny ? "deny " : "allow ") + role +
           " to read " + category + " for " + purpose;
    const int cond = pick(12);
    if (!deny && cond == 0) out += " when actor.region == subject.region";
    if (!deny && cond == 1) out += " when subject.age >= 18";
    out += "\n";
  }
  return out;
}

}  // namespace custos::bench
