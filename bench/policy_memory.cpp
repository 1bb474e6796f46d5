// Heap memory held by a compiled policy: compiles a generated policy of N
// rules (default 10,000) and prints the bytes still allocated once the
// compiler's temporaries are gone, as one JSON line.
//   custos_bench_policy_memory [RULES]
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "custos/policy.hpp"
#include "policy_gen.hpp"

int main(int argc, char** argv) {
  const int rules = argc > 1 ? std::atoi(argv[1]) : 10000;
  const std::string text = custos::bench::generate_policy(rules);
  malloc_trim(0);
  const std::size_t before = mallinfo2().uordblks;
  auto policy = custos::Policy::compile(text, "generated.custos");
  if (!policy.ok()) {
    std::fprintf(stderr, "%s\n", policy.status().message().c_str());
    return 1;
  }
  const std::size_t after = mallinfo2().uordblks;
  std::printf(
      "{\"label\": \"compiled policy memory %d rules\", \"median\": %.1f, \"unit\": \"KiB\"}\n",
      rules, static_cast<double>(after - before) / 1024.0);
  return 0;
}
