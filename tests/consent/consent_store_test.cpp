#include "custos/consent.hpp"

#include <grp.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <thread>

#include "catch.hpp"
#include "custos/engine.hpp"

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
  // The readers are reading before the writer starts (on a loaded machine
  // the writer could otherwise finish before any reader ran).
  for (int spins = 0; reads == 0 && spins < 10000; ++spins) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  for (int i = 0; i < 200; ++i) REQUIRE(s.grant("c-1", "marketing", i).ok());
  stop = true;
  for (auto& r : readers) r.join();
  CHECK_FALSE(went_backwards);
  CHECK((*s.records("c-1"))->size() == 200);
  CHECK(reads > 0);
}

namespace {

// Runs SQL on a store with plain SQLite, as another program could.
void raw_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  INFO(sql << ": " << (message ? message : ""));
  sqlite3_free(message);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

// The SQL sqlite_schema keeps for one object.
std::string schema_sql(const std::string& path, const std::string& name) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_schema WHERE name = ?1", -1, &s,
                             nullptr) == SQLITE_OK);
  sqlite3_bind_text(s, 1, name.c_str(), -1, SQLITE_TRANSIENT);
  REQUIRE(sqlite3_step(s) == SQLITE_ROW);
  std::string sql(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
  sqlite3_finalize(s);
  sqlite3_close(db);
  return sql;
}

// A store with one grant of subject c-1, closed.
std::string new_store(const char* name) {
  const auto path = temp_path(name);
  auto store = ConsentStore::open(path);
  REQUIRE(store.ok());
  REQUIRE((*store)->grant("c-1", "marketing", 100, std::nullopt, "signup").ok());
  return path;
}

// The message of a failed open, which must be kCorruption.
std::string corruption_of(const std::string& path) {
  auto store = ConsentStore::open(path);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().code() == StatusCode::kCorruption);
  return store.status().message();
}

}  // namespace

TEST_CASE("consent store: a foreign application_id or user_version is refused", "[consent]") {
  const auto app = new_store("foreign_app.db");
  raw_sql(app, "PRAGMA application_id = 1234");
  CHECK(corruption_of(app) ==
        app + ": not a consent store (its application_id is 0x000004d2, not 0x43555343)");
  const auto version = new_store("foreign_version.db");
  raw_sql(version, "PRAGMA user_version = 4");
  CHECK(corruption_of(version) == version +
                                      ": a consent store of schema version 4, which this version "
                                      "of Custos does not read (it reads versions 1 to 3)");
  // Read-only opens check the same.
  ConsentOptions read_only;
  read_only.read_only = true;
  CHECK(ConsentStore::open(version, read_only).status().code() == StatusCode::kCorruption);
  raw_sql(version, "PRAGMA user_version = 0");
  CHECK(corruption_of(version) == version +
                                      ": a consent store of schema version 0, which this version "
                                      "of Custos does not read (it reads versions 1 to 3)");
}

TEST_CASE("consent store: a damaged schema is refused, never repaired", "[consent]") {
  struct Damage {
    const char* name;
    const char* sql;
    const char* why;
  };
  const Damage damages[] = {
      {"no_table.db", "DROP TABLE consent_records", "the table consent_records is missing"},
      {"no_index.db", "DROP INDEX consent_records_subject",
       "the index consent_records_subject is missing"},
      {"no_update_trigger.db", "DROP TRIGGER consent_records_no_update",
       "the trigger consent_records_no_update is missing"},
      {"no_delete_trigger.db", "DROP TRIGGER consent_records_no_delete",
       "the trigger consent_records_no_delete is missing"},
      {"new_column.db", "ALTER TABLE consent_records ADD COLUMN note TEXT",
       "the table consent_records differs from the one Custos creates"},
      {"renamed_column.db", "ALTER TABLE consent_records RENAME COLUMN source TO origin",
       "the table consent_records differs from the one Custos creates"},
      {"weak_trigger.db",
       "DROP TRIGGER consent_records_no_delete; CREATE TRIGGER consent_records_no_delete BEFORE "
       "DELETE ON consent_records BEGIN SELECT 1; END",
       "the trigger consent_records_no_delete differs from the one Custos creates"},
      {"extra_trigger.db",
       "CREATE TRIGGER sneaky AFTER INSERT ON consent_records BEGIN SELECT 1; END",
       "an unexpected trigger sneaky"},
  };
  for (const auto& d : damages) {
    INFO(d.name);
    const auto path = new_store(d.name);
    raw_sql(path, d.sql);
    CHECK(corruption_of(path) == path + ": damaged consent store: " + d.why);
    ConsentOptions read_only;
    read_only.read_only = true;
    CHECK(ConsentStore::open(path, read_only).status().message() ==
          path + ": damaged consent store: " + d.why);
  }
  // The refused open changed nothing: the dropped table is still gone.
  const auto path = temp_path("no_table.db");
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  CHECK(sqlite3_exec(db, "SELECT count(*) FROM consent_records", nullptr, nullptr, nullptr) ==
        SQLITE_ERROR);
  sqlite3_close(db);
}

TEST_CASE("consent store: an empty file is set up; an empty one read-only is not", "[consent]") {
  const auto path = temp_path("empty.db");
  std::fclose(std::fopen(path.c_str(), "wb"));
  ConsentOptions read_only;
  read_only.read_only = true;
  auto ro = ConsentStore::open(path, read_only);
  REQUIRE_FALSE(ro.ok());
  CHECK(ro.status().message() == path +
                                     ": an empty file, not a consent store yet (open it once "
                                     "for writing to create the store)");
  auto rw = ConsentStore::open(path);
  REQUIRE(rw.ok());
  CHECK((*rw)->grant("c-1", "m", 1).ok());
  CHECK(ConsentStore::open(path, read_only).ok());
}

TEST_CASE("consent store: damaged records fail history and records with kCorruption", "[consent]") {
  const auto path = new_store("damaged_rows.db");
  const std::string insert =
      "INSERT INTO consent_records (subject, purpose, state, at, expires, source) VALUES ";
  // Rows no append() could write. INSERT is allowed by the triggers; a
  // state outside the CHECK needs ignore_check_constraints.
  raw_sql(path, insert + "('c-at', 'm', 'granted', 'yesterday', NULL, '')");
  raw_sql(path, "PRAGMA ignore_check_constraints = ON; " + insert +
                    "('c-state', 'm', 'maybe', 1, NULL, '')");
  raw_sql(path, insert + "('c-expiry', 'm', 'withdrawn', 1, 5, '')");
  raw_sql(path, insert + "('c-empty', '', 'granted', 1, NULL, '')");
  raw_sql(path, insert + "('c-blob', 'm', 'granted', 1, NULL, X'00')");
  raw_sql(path, insert + "('c-expires-text', 'm', 'granted', 1, 'soon', '')");
  // An edit of an existing record: the update trigger dropped, the state
  // changed, the trigger re-created exactly, so the schema looks intact.
  const std::string trigger = schema_sql(path, "consent_records_no_update");
  raw_sql(path,
          "DROP TRIGGER consent_records_no_update; PRAGMA ignore_check_constraints = ON; "
          "UPDATE consent_records SET state = 'revoked' WHERE subject = 'c-1'; " +
              trigger);
  // A NULL purpose: NOT NULL edited out of the schema text, the row
  // written, and the text put back.
  const std::string table = schema_sql(path, "consent_records");
  std::string loose = table;
  loose.replace(loose.find("purpose  TEXT NOT NULL"), 22, "purpose  TEXT");
  const auto quoted = [](std::string s) {
    for (std::size_t i = s.find('\''); i != std::string::npos; i = s.find('\'', i + 2)) {
      s.insert(i, 1, '\'');
    }
    return "'" + s + "'";
  };
  raw_sql(path, "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = " + quoted(loose) +
                    " WHERE name = 'consent_records'");
  raw_sql(path, insert + "('c-null', NULL, 'granted', 1, NULL, '')");
  raw_sql(path, "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = " + quoted(table) +
                    " WHERE name = 'consent_records'");

  auto store = ConsentStore::open(path);
  REQUIRE(store.ok());  // the schema is intact; the rows are not
  const std::string damaged = path + ": damaged consent store: record ";
  const std::pair<const char*, std::string> cases[] = {
      {"c-1", damaged + "1 has a state that is not granted, withdrawn or objected"},
      {"c-at", damaged + "2 has a time that is not an integer"},
      {"c-state", damaged + "3 has a state that is not granted, withdrawn or objected"},
      {"c-expiry", damaged + "4 expires but is no grant"},
      {"c-empty", damaged + "5 has no valid purpose"},
      {"c-blob", damaged + "6 has no valid source"},
      {"c-expires-text", damaged + "7 has an expiry that is not an integer"},
      {"c-null", damaged + "8 has no valid purpose"},
  };
  for (const auto& [subject, message] : cases) {
    INFO(subject);
    auto history = (*store)->history(subject);
    REQUIRE_FALSE(history.ok());
    CHECK(history.status().code() == StatusCode::kCorruption);
    CHECK(history.status().message() == message);
    auto records = (*store)->records(subject);
    REQUIRE_FALSE(records.ok());
    CHECK(records.status().message() == message);
  }
  // Other subjects read as before, and the store still takes appends.
  REQUIRE((*store)->grant("c-2", "m", 5).ok());
  auto clean = (*store)->history("c-2");
  REQUIRE(clean.ok());
  CHECK(clean->size() == 1);
}

TEST_CASE("consent store: the cached statements serve many calls", "[consent]") {
  const auto path = temp_path("cached.db");
  auto store = ConsentStore::open(path);
  REQUIRE(store.ok());
  auto& s = **store;
  for (int i = 0; i < 500; ++i) {
    const std::string subject = "c-" + std::to_string(i % 7);
    REQUIRE(s.grant(subject, "m", i, i + 10, "src").ok());
    auto h = s.history(subject);
    REQUIRE(h.ok());
    REQUIRE(h->size() == static_cast<std::size_t>(i / 7 + 1));
    CHECK(h->back().at == i);
    CHECK(h->back().expires == i + 10);
  }
  // A failed append (bad input) leaves the statements usable.
  CHECK_FALSE(s.grant("", "m", 1).ok());
  CHECK(s.grant("c-0", "m", 1000).ok());
  CHECK(s.history("c-0")->size() == 73);
}

TEST_CASE("consent store: two processes creating one store append 1,000 grants each",
          "[consent][processes]") {
  const auto path = temp_path("two_processes.db");
  int start[2];
  REQUIRE(::pipe(start) == 0);
  pid_t children[2];
  for (int c = 0; c < 2; ++c) {
    children[c] = ::fork();
    REQUIRE(children[c] >= 0);
    if (children[c] == 0) {
      ::close(start[1]);
      char go;
      (void)!::read(start[0], &go, 1);  // both start when the pipe closes
      auto store = ConsentStore::open(path);
      if (!store.ok()) {
        std::fprintf(stderr, "open: %s\n", store.status().message().c_str());
        ::_exit(100);
      }
      int failures = 0;
      for (int i = 0; i < 1000; ++i) {
        const Status s = (*store)->grant("c-" + std::to_string(c), "marketing", i);
        if (!s.ok()) {
          if (failures == 0) std::fprintf(stderr, "grant: %s\n", s.message().c_str());
          ++failures;
        }
      }
      ::_exit(failures > 99 ? 99 : failures);
    }
  }
  ::close(start[0]);
  ::close(start[1]);
  for (const pid_t child : children) {
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);  // no failed open, no failed grant
  }
  auto store = ConsentStore::open(path);
  REQUIRE(store.ok());
  CHECK((*store)->history("c-0")->size() == 1000);
  CHECK((*store)->history("c-1")->size() == 1000);
}

namespace {

// Runs `check` in a child process that cannot write to `dir` (a root test
// run drops to nobody, since chmod does not bind root) and returns what it
// reports; "skipped" when the child could not lose write access.
std::string in_read_only_dir(const fs::path& dir, const std::function<std::string()>& check) {
  int report[2];
  REQUIRE(::pipe(report) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::close(report[0]);
    std::string out;
    if (::geteuid() == 0 &&
        (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0)) {
      out = "skipped";
    } else if (::access(dir.c_str(), W_OK) == 0) {
      out = "skipped";  // chmod is not binding here
    } else {
      out = check();
    }
    (void)!::write(report[1], out.data(), out.size());
    ::_exit(0);
  }
  ::close(report[1]);
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(report[0], buffer, sizeof buffer)) > 0) out.append(buffer, n);
  ::close(report[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(WIFEXITED(status));
  return out;
}

std::string open_outcome(const std::string& path, bool read_only) {
  ConsentOptions options;
  options.read_only = read_only;
  auto store = ConsentStore::open(path, options);
  if (!store.ok()) return "open: " + store.status().message();
  auto history = (*store)->history("c-1");
  const Status grant = (*store)->grant("c-1", "marketing", 200);
  return "history: " + std::to_string(history.ok() ? history->size() : 0) +
         ", grant: " + (grant.ok() ? "ok" : grant.message());
}

}  // namespace

TEST_CASE("consent store: a WAL store in a read-only directory", "[consent][read-only]") {
  const auto dir = fs::path(temp_path("read_only_dir")).string();
  fs::create_directories(dir);
  ::chmod(dir.c_str(), 0755);
  const std::string path = dir + "/store.db";
  {
    auto store = ConsentStore::open(path);
    REQUIRE(store.ok());
    REQUIRE((*store)->grant("c-1", "marketing", 100).ok());
  }  // the last connection closed: SQLite removed the -wal and -shm files
  REQUIRE_FALSE(fs::exists(path + "-wal"));
  ::chmod(dir.c_str(), 0555);

  // Without its -wal and -shm files, not even a reader can open it: a true
  // message, not "not a consent store: attempt to write a readonly database".
  const std::string cannot = "open: " + path + ": cannot open consent store: its directory " + dir +
                             " is not writable, and SQLite must create the -wal and -shm files "
                             "of a store in WAL mode there, even to read it";
  const auto no_wal_ro = in_read_only_dir(dir, [&] { return open_outcome(path, true); });
  const auto no_wal_rw = in_read_only_dir(dir, [&] { return open_outcome(path, false); });
  if (no_wal_ro == "skipped") {
    WARN("skipped: cannot drop write access to " << dir);
  } else {
    CHECK(no_wal_ro == cannot);
    CHECK(no_wal_rw == cannot);
  }

  // With them (a writer has the store open) and every file write-protected:
  // opened read-only, and a write says why it was refused.
  ::chmod(dir.c_str(), 0755);
  {
    auto writer = ConsentStore::open(path);
    REQUIRE(writer.ok());
    REQUIRE((*writer)->history("c-1").ok());
    REQUIRE(fs::exists(path + "-shm"));
    for (const char* suffix : {"", "-wal", "-shm"}) ::chmod((path + suffix).c_str(), 0444);
    ::chmod(dir.c_str(), 0555);
    const auto rw = in_read_only_dir(dir, [&] { return open_outcome(path, false); });
    const auto ro = in_read_only_dir(dir, [&] { return open_outcome(path, true); });
    if (rw != "skipped") {
      CHECK(rw == "history: 1, grant: " + path +
                      ": opened read-only: the file is not writable; nothing was recorded");
      CHECK(ro == "history: 1, grant: " + path + ": opened read-only; nothing was recorded");
    }
    ::chmod(dir.c_str(), 0755);
    for (const char* suffix : {"", "-wal", "-shm"}) ::chmod((path + suffix).c_str(), 0644);
  }
}

TEST_CASE("consent store: the engine fails closed on a damaged record", "[consent][engine]") {
  const auto path = new_store("engine_damaged.db");  // c-1 granted marketing at 100
  {
    auto store = ConsentStore::open(path);
    REQUIRE(store.ok());
    REQUIRE((*store)->grant("c-2", "marketing", 100).ok());
  }
  raw_sql(path,
          "INSERT INTO consent_records (subject, purpose, state, at, expires, source) VALUES "
          "('c-1', 'marketing', 'withdrawn', 'later', NULL, '')");
  auto policy = Policy::compile(
      "policy \"t\" version 1\ncategory contact.email\npurpose marketing basis consent\nrole m\n"
      "retain * for 10y\nallow m to read contact.email for marketing\n",
      "t.custos");
  REQUIRE(policy.ok());
  auto store = ConsentStore::open(path);
  REQUIRE(store.ok());
  EngineOptions options;
  options.consent_store = store->get();
  options.clock = [] { return Timestamp{1000}; };
  Engine engine(*policy, options);
  const auto request = [](const char* subject) {
    Request r;
    r.actor.roles = {"m"};
    r.action = "read";
    r.purpose = "marketing";
    r.subject = Request::Subject{subject, {}, std::nullopt};
    r.categories = {"contact.email"};
    r.collected_at = 500;
    return r;
  };
  CHECK(engine.check(request("c-2")).allowed);
  // c-1's grant is intact, but its history cannot be read: no consent shown.
  const Decision d = engine.check(request("c-1"));
  CHECK_FALSE(d.allowed);
  REQUIRE(d.items.size() == 1);
  CHECK(d.items[0].reason == Reason::kConsentMissing);
}
