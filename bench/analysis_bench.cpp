// How long the policy analyses take on a large generated policy (issue 11:
// each under 1 s for 10,000 rules): the access matrix (`custos matrix`, up
// to its grouped rows), the assertions (what `custos check` adds to the
// checker), and a diff of two versions (`custos diff`).
//
//   custos_bench_analysis [--rules=10000] [--runs=5] [--assertions=100]
//
// Each line times the analysis from a checked policy; `with_check_ms` adds
// lexing, parsing and checking the text (two texts for the diff). Medians of
// --runs after a warm-up.
#include <cstdlib>
#include <functional>

#include "bench_util.hpp"
#include "policy/assertions.hpp"
#include "policy/diff.hpp"
#include "policy_gen.hpp"

namespace {

using namespace custos;
using namespace custos::bench;

// Assertions over the generated policy's names (20 roles, purposes p0-p9
// with children, categories c0-c19 with leaves s0-s8): a mix of kinds and
// scopes, some of which hold (nothing is shared) and some of which break.
std::string assertions(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    const std::string role = "r" + std::to_string(i % 20);
    const std::string category = "c" + std::to_string(i % 20);
    const std::string purpose = "p" + std::to_string(i % 10);
    switch (i % 4) {
      case 0:
        out += "assert never " + role + " to share * for *\n";
        break;
      case 1:
        out += "assert never * to use " + category + ".s" + std::to_string(i % 9) + " for " +
               purpose + ".m\n";
        break;
      case 2:
        out += "assert consent for " + role + " to read " + category + " for " + purpose + "\n";
        break;
      default:
        out += "assert at most hash for * to read " + category + " for *\n";
        break;
    }
  }
  return out;
}

// The next version of a generated policy: every 50th rule flips between
// allow and deny, every 70th loses its condition, and 20 rules are added.
std::string next_version(const std::string& text) {
  std::string out;
  std::size_t start = 0;
  int rule = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (line.rfind("@id(", 0) == 0) {
      if (rule % 50 == 0) {
        if (const auto p = line.find(") allow "); p != std::string::npos) {
          line.replace(p, 8, ") deny ");
        } else if (const auto q = line.find(") deny "); q != std::string::npos) {
          line.replace(q, 7, ") allow ");
        }
      }
      if (rule % 70 == 0) {
        if (const auto w = line.find(" when "); w != std::string::npos) line.erase(w);
      }
      ++rule;
    }
    out += line + "\n";
    start = end + 1;
  }
  for (int i = 0; i < 20; ++i) {
    out += "@id(\"added-" + std::to_string(i) + "\") allow r" + std::to_string(i) + " to read c" +
           std::to_string(i) + " as hash for p" + std::to_string(i % 10) + "\n";
  }
  return out;
}

std::shared_ptr<const lang::CheckedPolicy> check(const std::string& text, const char* name) {
  auto a = lang::analyze(name, text);
  if (!a.policy) {
    std::fprintf(stderr, "%s: %zu errors\n", name, a.error_count);
    std::exit(1);
  }
  return a.policy;
}

// Median of `runs` timings of f (ms), after one warm-up run.
Summary time_ms(int runs, const std::function<void()>& f) {
  f();
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const double start = now_ns();
    f();
    ms.push_back((now_ns() - start) / 1e6);
  }
  return summarize(ms);
}

std::string extra(double with_check_ms, const std::string& more) {
  return "\"with_check_ms\":" + std::to_string(with_check_ms) + "," + more;
}

}  // namespace

int main(int argc, char** argv) {
  const int rules = std::atoi(arg(argc, argv, "rules", "10000").c_str());
  const int runs = std::atoi(arg(argc, argv, "runs", "5").c_str());
  const int asserts = std::atoi(arg(argc, argv, "assertions", "100").c_str());
  const std::string text = generate_policy(rules);
  const std::string asserted = text + assertions(asserts);
  const std::string next = next_version(text);
  const std::string n = std::to_string(rules);

  // Matrix: the role tables and the grouped rows `custos matrix` prints.
  const auto policy = check(text, "generated.custos");
  std::size_t rows = 0;
  const auto matrix = [&](const std::shared_ptr<const lang::CheckedPolicy>& p) {
    auto m = detail::AccessMatrix::build(p);
    auto t = detail::build_matrix_table(**m);
    rows = t->rows.size();
  };
  const Summary m = time_ms(runs, [&] { matrix(policy); });
  const Summary mc = time_ms(runs, [&] { matrix(check(text, "generated.custos")); });
  report("matrix " + n + " rules", "ms", m,
         extra(mc.median, "\"rows\":" + std::to_string(rows) +
                              ",\"peak_rss_mib\":" + std::to_string(peak_rss_mib())));

  // Assertions: what `custos check` adds to the checker for them.
  const auto with_assertions = check(asserted, "generated.custos");
  std::size_t broken = 0;
  const Summary a = time_ms(runs, [&] {
    auto mx = detail::AccessMatrix::build(with_assertions);
    broken = detail::verify_assertions(**mx).size();
  });
  const Summary ac = time_ms(runs, [&] {
    const auto analysis = detail::analyze_policy("generated.custos", asserted);
    broken = analysis.error_count;
  });
  report("assertions " + n + " rules", "ms", a,
         extra(ac.median, "\"assertions\":" + std::to_string(asserts) +
                              ",\"broken\":" + std::to_string(broken)));

  // Diff: two versions, both matrices and the grouped changes.
  const auto newer = check(next, "next.custos");
  std::size_t gained = 0, lost = 0, changed = 0;
  const auto diff = [&](const std::shared_ptr<const lang::CheckedPolicy>& o,
                        const std::shared_ptr<const lang::CheckedPolicy>& nw) {
    auto om = detail::AccessMatrix::build(o);
    auto nm = detail::AccessMatrix::build(nw);
    auto d = detail::diff_policies(**om, **nm);
    gained = d->gained.size();
    lost = d->lost.size();
    changed = d->changed.size();
  };
  const Summary d = time_ms(runs, [&] { diff(policy, newer); });
  const Summary dc =
      time_ms(runs, [&] { diff(check(text, "generated.custos"), check(next, "next.custos")); });
  report("diff " + n + " rules", "ms", d,
         extra(dc.median, "\"gained_rows\":" + std::to_string(gained) +
                              ",\"lost_rows\":" + std::to_string(lost) +
                              ",\"changed_rows\":" + std::to_string(changed)));
  return 0;
}
