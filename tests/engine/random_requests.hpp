// Random requests over a policy's own names, for the differential test of
// the engine against the reference interpreter (reference_interpreter.hpp).
//
//   for (std::uint64_t seed = 0; seed < 10000; ++seed) {
//     RandomCase c = random_case(*checked, seed);
//     const auto* store = c.use_store ? &c.store_records : nullptr;
//     Decision want = reference_decide(*checked, c.request, c.clock_now, store);
//     ...  // the engine, with c.clock_now as its clock and, when use_store,
//          // c.store_records as the consent store's records for the subject
//   }
//
// Deterministic: a case depends only on the policy and the seed (splitmix64
// seeded with it; no std:: distributions, whose output varies by library).
#pragma once

#include <cstdint>
#include <vector>

#include "custos/consent_record.hpp"
#include "custos/consent_signal.hpp"
#include "custos/request.hpp"
#include "custos/value.hpp"
#include "lang/checker.hpp"

namespace custos::test {

struct RandomCase {
  Request request;
  // The consent store's records for the request's subject; meaningful only
  // when use_store (also generated when the request carries its own
  // `consent` or has no subject, where they must be ignored).
  std::vector<ConsentRecord> store_records;
  bool use_store = false;
  // The store's signals for the subject, like store_records; generated only
  // for policies that use signals, as are the request's own signals.
  std::vector<ConsentSignal> store_signals;
  Timestamp clock_now = 0;  // the engine's clock for this case
};

RandomCase random_case(const lang::CheckedPolicy& policy, std::uint64_t seed);

}  // namespace custos::test
