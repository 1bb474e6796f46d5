// check() from many threads while reload() swaps policies: every decision is
// exactly one policy's answer, never a mix. Run under ThreadSanitizer by
// .ci/run.
#include <atomic>
#include <thread>

#include "custos/engine.hpp"
#include "engine_test_util.hpp"

using namespace custos;
using custos::test::compile_or_fail;

namespace {

const std::string kBase = R"(policy "t" version 1
category contact.email, contact.phone
purpose support basis contract
role agent
)";

Request make_request() {
  Request r;
  r.actor.roles = {"agent"};
  r.action = "read";
  r.purpose = "support";
  r.categories = {"contact.email", "contact.phone"};
  return r;  // no time of its own: these policies keep no retention
}

}  // namespace

TEST_CASE("threads: checks and reloads race without mixing policies", "[threads]") {
  // A allows both categories; B masks e-mail and denies the phone.
  const auto a = compile_or_fail(kBase + "allow agent to read contact for support\n");
  const auto b = compile_or_fail(kBase +
                                 "allow agent to read contact.email as mask for support\n"
                                 "@id(\"no-phone\") deny agent to read contact.phone for *\n");
  Engine engine(a);
  const Request request = make_request();
  const std::string answer_a = Engine(a).check(request).to_json();
  const std::string answer_b = Engine(b).check(request).to_json();
  REQUIRE(Engine(a).check(request).items[1].allowed);  // A allows the phone, B denies it
  REQUIRE_FALSE(Engine(b).check(request).items[1].allowed);

  std::atomic<bool> stop{false};
  std::atomic<long> decisions{0};
  std::atomic<long> mixed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const PreparedRequest prepared = engine.prepare(request);
      Decision reused;
      while (!stop.load()) {
        std::string answer;
        if (t % 2 == 0) {
          answer = engine.check(request).to_json();
        } else {
          engine.check(prepared, reused);
          answer = reused.to_json();
        }
        if (answer != answer_a && answer != answer_b) ++mixed;
        ++decisions;
      }
    });
  }
  for (int i = 0; i < 200; ++i) {
    engine.reload(i % 2 ? a : b);
    std::this_thread::yield();
  }
  // Let every thread decide a few more times after the last reload.
  const long seen = decisions.load();
  while (decisions.load() < seen + 100) std::this_thread::yield();
  stop = true;
  for (auto& t : threads) t.join();
  CHECK(mixed.load() == 0);
  CHECK(decisions.load() > 100);
  CHECK(engine.check(request).to_json() == answer_a);  // the last reload installed A
}

TEST_CASE("threads: one prepared request decided by many threads at once", "[threads]") {
  Engine engine(compile_or_fail(kBase + "allow agent to read contact.email for support\n"));
  const PreparedRequest prepared = engine.prepare(make_request());
  std::atomic<long> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      Decision d;
      for (int i = 0; i < 2000; ++i) {
        engine.check(prepared, d);
        if (d.allowed || !d.items[0].allowed || d.items[1].reason != Reason::kNoMatchingAllow) {
          ++wrong;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(wrong.load() == 0);
}
