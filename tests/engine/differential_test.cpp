// Differential test: the compiled engine and the plain AST interpreter
// (reference_interpreter.cpp, written separately from the spec) must give
// the same decision, item by item, on random requests over the example
// policies and the case-file policies.
//
// CUSTOS_DIFFERENTIAL_CASES sets the number of requests per example policy
// (default 50,000, so 100,000 over the two examples).
#include <cstdlib>
#include <map>

#include "custos/consent.hpp"
#include "engine_test_util.hpp"
#include "random_requests.hpp"
#include "reference_interpreter.hpp"

using namespace custos;

namespace {

std::string describe(const Decision& d) {
  std::string out = d.allowed ? "allowed:" : "denied:";
  for (const auto& i : d.items) {
    out += " [" + i.category + " " + (i.allowed ? "allow " + i.transform.to_string() : "deny") +
           (i.reason == Reason::kNone ? "" : std::string(" ") + reason_code(i.reason)) +
           (i.rule.empty() ? "" : " rule=" + i.rule) + "]";
  }
  return out;
}

// How often each reason came up, to show the random requests reach every
// outcome (a differential test that only compares bad_request proves little).
std::map<Reason, long> outcome_counts;
// The same, for cases whose subject has signals.
std::map<Reason, long> signal_outcomes;

// Runs `count` random cases; returns the number of disagreements (and
// reports the first few).
int run(const std::string& path, long count, std::uint64_t seed_base) {
  const std::string text = custos::test::read_source_file(path);
  const auto analysis = lang::analyze(path.substr(path.rfind('/') + 1), text);
  REQUIRE(analysis.policy != nullptr);
  const auto policy = custos::test::compile_or_fail(text, path.substr(path.rfind('/') + 1));
  int disagreements = 0;
  for (long i = 0; i < count; ++i) {
    const auto c =
        custos::test::random_case(*analysis.policy, seed_base + static_cast<std::uint64_t>(i));
    EngineOptions options;
    options.trust_request_time = true;  // random cases date themselves and carry consent
    options.trust_request_consent = true;
    const Timestamp now = c.clock_now;
    options.clock = [now] { return now; };
    std::unique_ptr<ConsentStore> store;
    if (c.use_store) {
      auto opened = ConsentStore::open(":memory:");
      REQUIRE(opened.ok());
      store = std::move(*opened);
      if (c.request.subject) {
        for (const auto& r : c.store_records) {
          // The store refuses expiring non-grants; the interpreter ignores
          // their expiry, so strip it, as the store would never hold it.
          ConsentRecord copy = r;
          if (copy.state != ConsentState::kGranted) copy.expires.reset();
          REQUIRE(store->append(c.request.subject->id, copy).ok());
        }
        for (const auto& s : c.store_signals) {
          // The store refuses an empty TC string; so does this copy.
          if (s.kind == SignalKind::kTcf && s.tc_string.empty()) continue;
          REQUIRE(store->append_signal(c.request.subject->id, s).ok());
        }
      }
      options.consent_store = store.get();
    }
    Engine engine(policy, options);
    std::vector<ConsentRecord> store_copy;
    for (auto r : c.store_records) {
      if (r.state != ConsentState::kGranted) r.expires.reset();
      store_copy.push_back(r);
    }
    std::vector<ConsentSignal> signals_copy;
    for (const auto& s : c.store_signals) {
      if (s.kind != SignalKind::kTcf || !s.tc_string.empty()) signals_copy.push_back(s);
    }
    const Decision expected = custos::test::reference_decide(
        *analysis.policy, c.request, c.clock_now, c.use_store ? &store_copy : nullptr,
        c.use_store ? &signals_copy : nullptr);
    if (c.request.subject && (c.request.subject->signals || !signals_copy.empty())) {
      for (const auto& item : expected.items) ++signal_outcomes[item.reason];
    }
    const Decision actual = engine.check(c.request);
    Decision prepared;
    engine.check(engine.prepare(c.request), prepared);
    const std::string want = describe(expected);
    for (const auto& item : expected.items) ++outcome_counts[item.reason];
    if (describe(actual) != want || describe(prepared) != want) {
      if (++disagreements <= 5) {
        UNSCOPED_INFO(path << " seed " << seed_base + static_cast<std::uint64_t>(i)
                           << "\n  request: " << c.request.to_json()
                           << "\n  malformed: " << c.request.malformed << "\n  reference: " << want
                           << "\n  engine:    " << describe(actual)
                           << "\n  prepared:  " << describe(prepared));
      }
    }
  }
  return disagreements;
}

long cases_per_example() {
  const char* env = std::getenv("CUSTOS_DIFFERENTIAL_CASES");
  return env ? std::atol(env) : 50000;
}

}  // namespace

TEST_CASE("differential: engine and reference interpreter agree on the examples",
          "[differential]") {
  const long n = cases_per_example();
  CHECK(run("policy-lang/examples/crm.custos", n, 1'000'000) == 0);
  CHECK(run("policy-lang/examples/loyalty.custos", n, 2'000'000) == 0);
}

TEST_CASE("differential: engine and reference interpreter agree on the case-file policies",
          "[differential]") {
  const long n = std::max(1L, cases_per_example() / 10);
  std::uint64_t seed = 3'000'000;
  for (const char* name : {"conditions", "consent", "hierarchy", "language_examples", "precedence",
                           "requests", "retention", "transforms", "signals", "signals_publisher"}) {
    INFO(name);
    CHECK(run(std::string("tests/engine/policies/") + name + ".custos", n, seed) == 0);
    seed += 1'000'000;
  }
  // Every reason a request without SQLite can get, and plenty of allows.
  for (Reason r :
       {Reason::kNone, Reason::kBadRequest, Reason::kUnknownPurpose, Reason::kUnknownCategory,
        Reason::kUnknownRole, Reason::kDeniedByRule, Reason::kConditionError,
        Reason::kNoMatchingAllow, Reason::kConsentMissing, Reason::kConsentWithdrawn,
        Reason::kObjected, Reason::kRetentionExpired, Reason::kCollectedUnknown}) {
    INFO(reason_code(r));
    CHECK(outcome_counts[r] >= std::max(1L, n / 1000));
  }
  // Signals reach every consent outcome, and grant too.
  for (Reason r :
       {Reason::kNone, Reason::kConsentMissing, Reason::kConsentWithdrawn, Reason::kObjected}) {
    INFO("with signals: " << reason_code(r));
    CHECK(signal_outcomes[r] >= std::max(1L, n / 1000));
  }
}
