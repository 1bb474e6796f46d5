// How long the front end (lex, parse, check) takes on large policies.
// Target (issue 2): a 100,000-rule policy checked in under 2 s (Release).
//
//   custos_bench_check [--rules=100000] [--runs=5]
#include <cstdlib>

#include "bench_util.hpp"
#include "lang/checker.hpp"
#include "policy_gen.hpp"

int main(int argc, char** argv) {
  using namespace custos::bench;
  const int rules = std::atoi(arg(argc, argv, "rules", "100000").c_str());
  const int runs = std::atoi(arg(argc, argv, "runs", "5").c_str());
  const std::string text = generate_policy(rules);
  std::vector<double> ms;
  std::size_t diagnostics = 0;
  bool ok = true;
  for (int i = 0; i < runs; ++i) {
    const double start = now_ns();
    const auto analysis = custos::lang::analyze("generated.custos", text);
    ms.push_back((now_ns() - start) / 1e6);
    ok = ok && analysis.policy != nullptr;
    diagnostics = analysis.diagnostics.size();
  }
  report("check " + std::to_string(rules) + " rules", "ms", summarize(ms),
         "\"bytes\":" + std::to_string(text.size()) + ",\"valid\":" + (ok ? "true" : "false") +
             ",\"diagnostics\":" + std::to_string(diagnostics) +
             ",\"peak_rss_mib\":" + std::to_string(peak_rss_mib()));
  return ok ? 0 : 1;
}
