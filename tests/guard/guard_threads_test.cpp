// One Database used from several threads at once while consent is written
// and the policy reloads: every statement sees one policy and one consent
// state, never a mix, and nothing races. Run under ThreadSanitizer by
// .ci/run.
#include <atomic>
#include <thread>

#include "guard_fixture.hpp"

using namespace custos;
using namespace custos::test;

TEST_CASE("guard threads: sessions query while consent is written and the policy reloads",
          "[guard][threads]") {
  GuardWorld w("threads");
  auto base = Policy::compile(kGuardPolicy, "guard.custos");
  auto tighter = Policy::compile(
      std::string(kGuardPolicy) + "deny marketer to read contact.email for marketing\n",
      "guard.custos");
  REQUIRE(base.ok());
  REQUIRE(tighter.ok());
  std::atomic<bool> stop{false};
  std::atomic<long> statements{0}, wrong{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      auto s = w.database->session([] {
        SessionOptions who;
        who.actor_id = "m-1";
        who.roles = {"marketer"};
        who.purpose = "marketing";
        return who;
      }());
      if (!s.ok()) {
        ++wrong;
        return;
      }
      while (!stop.load()) {
        // Customers 1 and 3 always consent; 2's consent comes and goes. The
        // e-mail is plain or, under the tighter policy, refused.
        std::string error;
        const Table rows =
            rows_of(**s, "SELECT CustomerId, Email FROM Customer ORDER BY 1", {}, &error);
        const bool refused = error.rfind("refused for this session: Customer.Email", 0) == 0;
        const bool plain = error.empty() && (rows.size() == 2 || rows.size() == 3) &&
                           rows.front() == std::vector<std::string>{"1", "ada@example.com"} &&
                           rows.back() == std::vector<std::string>{"3", "chloe@example.fr"};
        if (!refused && !plain) ++wrong;
        ++statements;
      }
    });
  }
  std::thread writer([&] {
    for (int i = 0; i < 200 && !stop.load(); ++i) {
      const Timestamp at = kNow - 10000 + i;
      const Status s = i % 2 ? w.consent->grant("2", "marketing", at)
                             : w.consent->withdraw("2", "marketing", at);
      if (!s.ok()) ++wrong;
    }
  });
  for (int i = 0; i < 50; ++i) {
    w.engine->reload(i % 2 ? *base : *tighter);
    std::this_thread::yield();
  }
  w.engine->reload(*base);
  writer.join();
  const long seen = statements.load();
  while (statements.load() < seen + 20) std::this_thread::yield();
  stop = true;
  for (auto& r : readers) r.join();
  CHECK(wrong.load() == 0);
  CHECK(statements.load() > 20);
  CHECK(w.file_unchanged());
}
