// The consent store's signal history: TC strings and GPC settings, append-
// only beside the records; the upgrade of version 1 stores; the checks on
// what is read back.
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "custos/consent.hpp"
#include "custos/engine.hpp"
#include "legacy_store.hpp"

using namespace custos;
namespace fs = std::filesystem;

namespace {

// A real string (iabtcf-java's TCStringV2Test: testCanConstructTCModelFromBase64String).
constexpr const char* kJavaModel = "COtybn4PA_zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA";

std::string temp_path(const char* name) {
  const auto dir = fs::temp_directory_path() / ("custos-signals-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto path = dir / name;
  fs::remove(path);
  fs::remove(path.string() + "-wal");
  fs::remove(path.string() + "-shm");
  return path.string();
}

int raw_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  sqlite3_close(db);
  return rc;
}

int user_version(const std::string& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(s) == SQLITE_ROW);
  const int v = sqlite3_column_int(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(db);
  return v;
}

// A store as Custos wrote it before signals: schema version 1, one grant.
std::string version_1_store(const char* name) {
  const auto path = temp_path(name);
  custos::testing::make_legacy_store(
      path, 1,
      "INSERT INTO consent_records (subject, purpose, state, at, expires, source) VALUES "
      "('c-1', 'marketing', 'granted', 100, NULL, 'signup')");
  return path;
}

ConsentOptions read_only() {
  ConsentOptions o;
  o.read_only = true;
  return o;
}

}  // namespace

TEST_CASE("consent signals: appended, read back in order, kept apart from records",
          "[consent][signals]") {
  const auto path = temp_path("signals.db");
  auto store = ConsentStore::open(path);
  REQUIRE(store.ok());
  auto& s = **store;
  REQUIRE(s.signal_tcf("c-1", kJavaModel, 100, "web-banner").ok());
  REQUIRE(s.signal_gpc("c-1", true, 200, "Sec-GPC").ok());
  REQUIRE(s.signal_gpc("c-1", false, 300).ok());
  REQUIRE(s.signal_gpc("c-2", true, 50).ok());
  REQUIRE(s.grant("c-1", "marketing", 150).ok());
  auto h = s.signal_history("c-1");
  REQUIRE(h.ok());
  REQUIRE(h->size() == 3);
  CHECK((*h)[0].kind == SignalKind::kTcf);
  CHECK((*h)[0].tc_string == kJavaModel);
  CHECK((*h)[0].at == 100);
  CHECK((*h)[0].source == "web-banner");
  CHECK((*h)[1].kind == SignalKind::kGpc);
  CHECK((*h)[1].gpc);
  CHECK((*h)[1].source == "Sec-GPC");
  CHECK((*h)[2].kind == SignalKind::kGpc);
  CHECK_FALSE((*h)[2].gpc);
  CHECK(s.signal_history("c-2")->size() == 1);
  CHECK(s.signal_history("nobody")->empty());
  CHECK(s.history("c-1")->size() == 1);  // records are another history
  // Reopened: the same.
  auto again = ConsentStore::open(path, read_only());
  REQUIRE(again.ok());
  CHECK((*again)->signal_history("c-1")->size() == 3);
}

TEST_CASE("consent signals: the cache decodes each TC string once and follows writes",
          "[consent][signals]") {
  const auto path = temp_path("signals_cache.db");
  auto store = ConsentStore::open(path);
  REQUIRE(store.ok());
  auto& s = **store;
  REQUIRE(s.signal_tcf("c-1", kJavaModel, 100).ok());
  REQUIRE(s.signal_tcf("c-1", "not a TC string", 200).ok());  // stored as received
  auto before = s.signals("c-1");
  REQUIRE(before.ok());
  REQUIRE((*before)->entries.size() == 2);
  const auto& good = (*before)->entries[0];
  REQUIRE(good.tc);
  CHECK(good.tc->cmp_id == 675);
  CHECK(good.tc->purposes_consent.ids() == std::vector<int>{2, 10});
  CHECK(good.tc_error.empty());
  const auto& bad = (*before)->entries[1];
  CHECK_FALSE(bad.tc);
  CHECK(bad.tc_error ==
        "bad character ' ' at position 4 of the TC string: base64url has only A-Z, a-z, 0-9, "
        "'-' and '_'");
  // The cache filled by signals() serves records() too, and an append
  // replaces the snapshot without touching the one a reader holds.
  CHECK((*s.records("c-1"))->empty());
  REQUIRE(s.signal_gpc("c-1", true, 300).ok());
  auto after = s.signals("c-1");
  REQUIRE(after.ok());
  REQUIRE((*after)->entries.size() == 3);
  CHECK((*after)->entries[2].signal.gpc);
  CHECK_FALSE((*after)->entries[2].tc);
  CHECK((*before)->entries.size() == 2);
  CHECK(&(*after)->entries[0] != &(*before)->entries[0]);
  // Another process's signal is seen after refresh().
  auto other = ConsentStore::open(path);
  REQUIRE(other.ok());
  REQUIRE((*other)->signal_gpc("c-1", false, 400).ok());
  CHECK((*s.signals("c-1"))->entries.size() == 3);
  s.refresh();
  CHECK((*s.signals("c-1"))->entries.size() == 4);
}

TEST_CASE("consent signals: append-only, even through SQL", "[consent][signals]") {
  const auto path = temp_path("signals_append_only.db");
  {
    auto store = ConsentStore::open(path);
    REQUIRE(store.ok());
    REQUIRE((*store)->signal_gpc("c-1", true, 100).ok());
  }
  CHECK(raw_sql(path, "UPDATE consent_signals SET value = 'off'") == SQLITE_CONSTRAINT);
  CHECK(raw_sql(path, "DELETE FROM consent_signals") == SQLITE_CONSTRAINT);
  // The schema itself refuses what Custos would never write.
  CHECK(raw_sql(path,
                "INSERT INTO consent_signals (subject, kind, value, at) VALUES ('c', 'gpc', "
                "'maybe', 1)") == SQLITE_CONSTRAINT);
  CHECK(raw_sql(path,
                "INSERT INTO consent_signals (subject, kind, value, at) VALUES ('c', 'usp', "
                "'1YNN', 1)") == SQLITE_CONSTRAINT);
  auto store = ConsentStore::open(path);
  REQUIRE(store.ok());
  CHECK((*store)->signal_history("c-1")->size() == 1);
}

TEST_CASE("consent signals: bad input is refused and stores nothing", "[consent][signals]") {
  const auto path = temp_path("signals_bad.db");
  auto store = ConsentStore::open(path);
  REQUIRE(store.ok());
  auto& s = **store;
  CHECK(s.signal_gpc("", true, 1).message() ==
        "a consent signal needs a subject (1 to 1024 bytes)");
  CHECK(s.signal_gpc(std::string(1025, 'x'), true, 1).code() == StatusCode::kInvalidArgument);
  CHECK(s.signal_tcf("c-1", "", 1).message() ==
        "a TC string signal needs a TC string (1 to 65536 bytes)");
  CHECK(s.signal_tcf("c-1", std::string(65537, 'A'), 1).code() == StatusCode::kInvalidArgument);
  CHECK(s.signal_gpc("c-1", true, 1, std::string(1025, 's')).message() ==
        "a consent signal's source is longer than 1024 bytes");
  CHECK(s.signal_history("c-1")->empty());
  auto ro = ConsentStore::open(path, read_only());
  REQUIRE(ro.ok());
  CHECK((*ro)->signal_gpc("c-1", true, 1).message() ==
        path + ": opened read-only; nothing was recorded");
}

TEST_CASE("consent signals: a version 1 store is upgraded when opened for writing",
          "[consent][signals]") {
  const auto path = version_1_store("v1.db");
  REQUIRE(user_version(path) == 1);
  // Read-only, it is read as it is: its records, and no signals.
  {
    auto ro = ConsentStore::open(path, read_only());
    REQUIRE(ro.ok());
    CHECK((*ro)->history("c-1")->size() == 1);
    CHECK((*ro)->signal_history("c-1")->empty());
    CHECK((*(*ro)->signals("c-1"))->entries.empty());
    CHECK((*ro)->signal_gpc("c-1", true, 1).code() == StatusCode::kInvalidArgument);
  }
  CHECK(user_version(path) == 1);  // a read-only open changes nothing
  auto rw = ConsentStore::open(path);
  REQUIRE(rw.ok());
  CHECK(user_version(path) == 3);  // signals, and the chain
  CHECK((*rw)->history("c-1")->size() == 1);
  REQUIRE((*rw)->signal_gpc("c-1", true, 200).ok());
  CHECK((*rw)->signal_history("c-1")->size() == 1);
  // Upgraded, it checks like a store created as version 3.
  auto again = ConsentStore::open(path);
  REQUIRE(again.ok());
  CHECK((*again)->signal_history("c-1")->size() == 1);
}

TEST_CASE("consent signals: damaged stores are refused, never upgraded or repaired",
          "[consent][signals]") {
  // A version 1 store with something extra is not upgraded.
  const auto odd = version_1_store("v1_odd.db");
  REQUIRE(raw_sql(odd, "CREATE TABLE notes (x)") == SQLITE_OK);
  auto refused = ConsentStore::open(odd);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().message() == odd + ": damaged consent store: an unexpected table notes");
  CHECK(user_version(odd) == 1);
  // A version 1 store that already has the signals table is damaged too.
  const auto early = version_1_store("v1_with_signals.db");
  REQUIRE(raw_sql(early, "CREATE TABLE consent_signals (x)") == SQLITE_OK);
  CHECK(ConsentStore::open(early).status().message() ==
        early + ": damaged consent store: an unexpected table consent_signals");
  // A version 2 store missing a piece of the signals schema.
  struct Damage {
    const char* name;
    const char* sql;
    const char* why;
  };
  const Damage damages[] = {
      {"no_signals.db", "DROP TABLE consent_signals", "the table consent_signals is missing"},
      {"no_signals_index.db", "DROP INDEX consent_signals_subject",
       "the index consent_signals_subject is missing"},
      {"no_signals_trigger.db", "DROP TRIGGER consent_signals_no_delete",
       "the trigger consent_signals_no_delete is missing"},
  };
  for (const auto& d : damages) {
    INFO(d.name);
    const auto path = temp_path(d.name);
    REQUIRE(ConsentStore::open(path).ok());
    REQUIRE(raw_sql(path, d.sql) == SQLITE_OK);
    CHECK(ConsentStore::open(path).status().message() ==
          path + ": damaged consent store: " + d.why);
    CHECK(ConsentStore::open(path, read_only()).status().code() == StatusCode::kCorruption);
  }
}

TEST_CASE("consent signals: a signal Custos could not have written fails the read",
          "[consent][signals]") {
  struct Row {
    const char* name;
    const char* insert;
    const char* why;
  };
  const Row rows[] = {
      {"empty_tc.db",
       "INSERT INTO consent_signals (subject, kind, value, at) VALUES ('c-1', 'tcf', '', 1)",
       "signal 1 has no valid TC string"},
      {"text_time.db",
       "INSERT INTO consent_signals (subject, kind, value, at) VALUES ('c-1', 'gpc', 'on', "
       "'yesterday')",
       "signal 1 has a time that is not an integer"},
      {"blob_source.db",
       "INSERT INTO consent_signals (subject, kind, value, at, source) VALUES ('c-1', 'gpc', "
       "'on', 1, x'00')",
       "signal 1 has no valid source"},
  };
  for (const auto& r : rows) {
    INFO(r.name);
    const auto path = temp_path(r.name);
    REQUIRE(ConsentStore::open(path).ok());
    REQUIRE(raw_sql(path, r.insert) == SQLITE_OK);
    auto store = ConsentStore::open(path);
    REQUIRE(store.ok());  // the schema is intact; the row is not
    const std::string want = path + ": damaged consent store: " + r.why;
    CHECK((*store)->signal_history("c-1").status().message() == want);
    CHECK((*store)->signals("c-1").status().code() == StatusCode::kCorruption);
    CHECK((*store)->records("c-1").status().message() == want);  // one cache entry, both fail
  }
}

TEST_CASE("consent signals: decisions read signals while another thread appends them",
          "[consent][signals][threads]") {
  const auto path = temp_path("signals_threads.db");
  auto store = ConsentStore::open(path);
  REQUIRE(store.ok());
  auto& s = **store;
  auto policy = Policy::compile(
      "policy \"t\" version 1\ncategory c\npurpose p basis consent gpc\nrole r\n"
      "allow r to read c for p\nretain c for 1y\n",
      "t.custos");
  REQUIRE(policy.ok());
  REQUIRE(s.grant("c-1", "p", 1).ok());
  EngineOptions options;
  options.clock = [] { return Timestamp{1000000}; };
  options.consent_store = &s;
  Engine engine(*policy, options);
  Request r;
  r.actor.roles = {"r"};
  r.action = "read";
  r.purpose = "p";
  r.subject = Request::Subject{"c-1", {}, std::nullopt};
  r.categories = {"c"};
  r.collected_at = 999000;
  std::atomic<bool> stop{false};
  std::atomic<int> decided{0};
  std::atomic<bool> bad{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      while (!stop) {
        const Decision d = engine.check(r);
        // Allowed (GPC off) or objected (on): never anything else.
        if (!d.allowed && d.items[0].reason != Reason::kObjected) bad = true;
        ++decided;
      }
    });
  }
  // The readers are deciding before the writer starts (on a loaded machine
  // the writer could otherwise finish before any reader ran).
  for (int spins = 0; decided == 0 && spins < 10000; ++spins) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  for (int i = 0; i < 200; ++i) REQUIRE(s.signal_gpc("c-1", i % 2 == 0, 10 + i).ok());
  stop = true;
  for (auto& t : readers) t.join();
  CHECK_FALSE(bad);
  CHECK(decided > 0);
  // The last signal (i = 199) turned GPC off.
  CHECK(engine.check(r).allowed);
  CHECK((*s.signals("c-1"))->entries.size() == 200);
}
