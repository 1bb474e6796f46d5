#include "custos/consent.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <thread>

#include "catch.hpp"

using namespace custos;
namespace fs = std::filesystem;

namespace {

std::string temp_path(const char* name) {
  const auto dir = fs::temp_directory_path() / ("custos-consent-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto path = dir / name;
  fs::remove(path);
  fs::remove(path.string() + "-wal");
  fs::remove(path.string() + "-shm");
  return path.string();
}

}  // namespace

TEST_CASE("consent store: append and read back, in order", "[consent]") {
  const auto path = temp_path("basic.db");
  auto store = ConsentStore::open(path);
  REQUIRE(store.ok());
  auto& s = **store;
  REQUIRE(s.grant("c-1", "marketing", 100, std::nullopt, "signup").ok());
  REQUIRE(s.withdraw("c-1", "marketing.pricing", 200, "prefs").ok());
  REQUIRE(s.grant("c-2", "marketing", 150, 9999).ok());
  REQUIRE(s.object("c-1", "analytics", 300).ok());
  auto h = s.history("c-1");
  REQUIRE(h.ok());
  REQUIRE(h->size() == 3);
  CHECK((*h)[0].purpose == "marketing");
  CHECK((*h)[0].state == ConsentState::kGranted);
  CHECK((*h)[0].source == "signup");
  CHECK((*h)[1].state == ConsentState::kWithdrawn);
  CHECK((*h)[1].at == 200);
  CHECK((*h)[2].state == ConsentState::kObjected);
  auto other = s.history("c-2");
  REQUIRE(other.ok());
  REQUIRE(other->size() == 1);
  CHECK((*other)[0].expires == 9999);
  CHECK(s.history("nobody")->empty());
}

TEST_CASE("consent store: the cache follows writes", "[consent]") {
  const auto path = temp_path("cache.db");
  auto store = ConsentStore::open(path);
  REQUIRE(store.ok());
  auto& s = **store;
  auto before = s.records("c-1");
  REQUIRE(before.ok());
  CHECK((*before)->empty());
  REQUIRE(s.grant("c-1", "marketing", 100).ok());
  auto after = s.records("c-1");
  REQUIRE(after.ok());
  REQUIRE((*after)->size() == 1);
  CHECK((*before)->empty());  // a snapshot never changes under its reader
}

TEST_CASE("consent store: history survives reopening; another process's writes after refresh",
          "[consent]") {
  const auto path = temp_path("reopen.db");
  {
    auto store = ConsentStore::open(path);
    REQUIRE(store.ok());
    REQUIRE((*store)->grant("c-1", "marketing", 100).ok());
  }
  auto reader = ConsentStore::open(path);
  REQUIRE(reader.ok());
  REQUIRE((*(*reader)->records("c-1"))->size() == 1);
  auto writer = ConsentStore::open(path);
  REQUIRE(writer.ok());
  REQUIRE((*writer)->withdraw("c-1", "marketing", 200).ok());
  CHECK((*(*reader)->records("c-1"))->size() == 1);  // cached
  (*reader)->refresh();
  CHECK((*(*reader)->records("c-1"))->size() == 2);
}

TEST_CASE("consent store: append-only, even through SQL", "[consent]") {
  const auto path = temp_path("append_only.db");
  {
    auto store = ConsentStore::open(path);
    REQUIRE(store.ok());
    REQUIRE((*store)->grant("c-1", "marketing", 100).ok());
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  CHECK(sqlite3_exec(db, "UPDATE consent_records SET state = 'granted'", nullptr, nullptr,
                     nullptr) == SQLITE_CONSTRAINT);
  CHECK(sqlite3_exec(db, "DELETE FROM consent_records", nullptr, nullptr, nullptr) ==
        SQLITE_CONSTRAINT);
  sqlite3_close(db);
  auto store = ConsentStore::open(path);
  REQUIRE(store.ok());
  CHECK((*store)->history("c-1")->size() == 1);
}

TEST_CASE("consent store: bad input is refused and stores nothing", "[consent]") {
  const auto path = temp_path("bad.db");
  auto store = ConsentStore::open(path);
  REQUIRE(store.ok());
  auto& s = **store;
  CHECK(s.grant("", "marketing", 1).code() == StatusCode::kInvalidArgument);
  CHECK(s.grant("c-1", "", 1).code() == StatusCode::kInvalidArgument);
  CHECK(s.append("c-1", ConsentRecord{"m", ConsentState::kWithdrawn, 1, 5, ""}).code() ==
        StatusCode::kInvalidArgument);
  CHECK(s.grant(std::string(2000, 'x'), "m", 1).code() == StatusCode::kInvalidArgument);
  CHECK(s.history("c-1")->empty());
}

TEST_CASE("consent store: refuses files that are not consent stores", "[consent]") {
  const auto garbage = temp_path("garbage.db");
  {
    std::FILE* f = std::fopen(garbage.c_str(), "wb");
    std::fputs("this is not a database, just text that is long enough to look like one....", f);
    std::fclose(f);
  }
  auto a = ConsentStore::open(garbage);
  REQUIRE_FALSE(a.ok());
  CHECK(a.status().code() == StatusCode::kCorruption);

  const auto other = temp_path("other.db");
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(other.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "CREATE TABLE customers (id INTEGER)", nullptr, nullptr, nullptr) ==
          SQLITE_OK);
  sqlite3_close(db);
  auto b = ConsentStore::open(other);
  REQUIRE_FALSE(b.ok());
  CHECK(b.status().code() == StatusCode::kCorruption);

  auto c = ConsentStore::open("/nonexistent-dir/x.db");
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().code() == StatusCode::kIoError);
}

TEST_CASE("consent store: concurrent readers and a writer", "[consent][threads]") {
  const auto path = temp_path("threads.db");
  auto store = ConsentStore::open(path);
  REQUIRE(store.ok());
  auto& s = **store;
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0};
  std::atomic<bool> went_backwards{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&] {
      std::size_t seen = 0;
      while (!stop) {
        auto r = s.records("c-1");
        if (!r.ok()) continue;
        if ((*r)->size() < seen) went_backwards = true;
        seen = (*r)->size();
        ++reads;
      }
    });
  }
  for (int i = 0; i < 200; ++i) REQUIRE(s.grant("c-1", "marketing", i).ok());
  stop = true;
  for (auto& r : readers) r.join();
  CHECK_FALSE(went_backwards);
  CHECK((*s.records("c-1"))->size() == 200);
  CHECK(reads > 0);
}
