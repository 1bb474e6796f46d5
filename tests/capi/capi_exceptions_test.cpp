// No C++ exception crosses the C API, even when memory runs out.
//
// This executable replaces the global operator new with one that throws
// std::bad_alloc at the Nth allocation of the calling thread: the classic
// fault-injection sweep of SQLite's malloc tests. For each scenario the test
// runs the C calls with the Nth allocation failing, for N = 1, 2, 3, ...
// until a run completes with no failure injected. Each run happens in a
// forked child, so that one run's state (a half-built cache) cannot leak
// into the next, and so that a run that dies is reported instead of ending
// the test. A child reports:
//   0  no failure was injected: the sweep is over
//   1  the failure was injected; every C call returned normally, each
//      failed one with an error code and a non-empty message
//      ("out of memory" for CUSTOS_NO_MEMORY)
//   2  an exception crossed the C API (the scenario's try caught it)
//   3  a C call returned a wrong result or message
//   killed by SIGABRT: std::terminate, an exception thrown where none may
//      be, inside a destructor or a noexcept function
// The test requires 0 escapes and 0 wrong results. Aborts are counted and
// printed: nlohmann/json 3.11's basic_json destructor allocates (it
// flattens nested values onto a std::vector), so a bad_alloc there ends the
// process whatever its caller does; the sweep shows how many of the
// allocations of each scenario are of that kind.
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <new>
#include <string>

#include "catch.hpp"
#include "custos/custos.h"

namespace {

// Allocations of this thread so far, and the one that fails (0: none).
thread_local long t_allocations = 0;
thread_local long t_fail_at = 0;
thread_local bool t_failed = false;

void* allocate(std::size_t n) {
  if (t_fail_at != 0 && ++t_allocations == t_fail_at) {
    t_failed = true;
    throw std::bad_alloc();
  }
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}

}  // namespace

void* operator new(std::size_t n) {
  return allocate(n);
}
void* operator new[](std::size_t n) {
  return allocate(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return allocate(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return allocate(n);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}

namespace {

const char* kPolicy =
    "policy \"oom\" version 1\ncategory contact.email\ncategory identity.name\n"
    "purpose support basis contract\npurpose marketing basis consent\nrole agent, marketer\n"
    "@id(\"support\") allow agent to read identity.name, contact.email as mask for support\n"
    "@id(\"marketing\") allow marketer to read contact.email for marketing\n";

const char* kRequest =
    R"({"actor": {"id": "a-1", "roles": ["agent"]}, "action": "read", "purpose": "support",)"
    R"( "subject": {"id": "c-1"}, "categories": ["contact.email", "identity.name"]})";

// Thrown by a scenario for a wrong result; caught in the child.
struct Wrong {};

bool starts_with(const char* s, const char* prefix) {
  return s && std::strncmp(s, prefix, std::strlen(prefix)) == 0;
}

// A C call's code: true for CUSTOS_OK; for an error, its message must be
// there (and say "out of memory" for CUSTOS_NO_MEMORY).
bool ok(int rc) {
  if (rc == CUSTOS_OK) return true;
  const char* message = custos_last_error();
  if (!message || !*message) throw Wrong{};
  if (rc == CUSTOS_NO_MEMORY && std::strcmp(message, "out of memory") != 0) throw Wrong{};
  return false;
}

// A handle: when NULL, the message must be there.
template <typename T>
bool opened(T* handle) {
  if (handle) return true;
  if (!*custos_last_error()) throw Wrong{};
  return false;
}

struct Sweep {
  long runs = 0, handled = 0, aborted = 0;
  std::string first_abort;
};

// Runs the scenario with allocation N failing, N = 1, 2, ..., each in a
// child process, until a run injects nothing.
Sweep sweep(const std::function<void()>& scenario) {
  Sweep s;
  // CUSTOS_OOM_AT=N runs only allocation N failing, in this process: for a
  // debugger.
  if (const char* at = std::getenv("CUSTOS_OOM_AT")) {
    t_allocations = 0;
    t_fail_at = std::atol(at);
    scenario();
    t_fail_at = 0;
    return s;
  }
  for (long n = 1; n < 100000; ++n) {
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int code = 0;
      t_allocations = 0;
      t_fail_at = n;
      try {
        scenario();
        code = t_failed ? 1 : 0;
      } catch (const Wrong&) {
        code = 3;
      } catch (...) {
        code = 2;
      }
      t_fail_at = 0;
      std::_Exit(code);
    }
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    ++s.runs;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT) {
      if (s.first_abort.empty()) s.first_abort = "allocation " + std::to_string(n);
      ++s.aborted;
      continue;
    }
    INFO("allocation " << n << " failing: child status " << status);
    REQUIRE(WIFEXITED(status));
    const int code = WEXITSTATUS(status);
    REQUIRE(code != 2);  // an exception crossed the C API
    REQUIRE(code != 3);  // a wrong result or message
    if (code == 0) return s;
    ++s.handled;
  }
  FAIL("the scenario never completed");
  return s;
}

void report(const char* name, const Sweep& s) {
  WARN(name << ": " << s.runs << " runs, " << s.handled
            << " failed allocations handled as error codes, " << s.aborted
            << " ended in std::terminate (first: "
            << (s.first_abort.empty() ? "none" : s.first_abort) << ")");
}

}  // namespace

TEST_CASE("no exception crosses the C API when allocations fail", "[capi]") {
  const std::filesystem::path dir =
      std::filesystem::path(CUSTOS_BINARY_DIR) / "tests" / "capi_oom_work";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string policy = (dir / "oom.custos").string();
  std::ofstream(policy) << kPolicy;

  SECTION("open an engine, decide, read the policy, close") {
    const Sweep s = sweep([&] {
      custos_engine* engine = custos_engine_open(policy.c_str(), R"({"clock": 1795867200})");
      if (!opened(engine)) return;
      char* out = nullptr;
      if (ok(custos_check(engine, kRequest, &out)) &&
          !starts_with(out, R"({"allowed":true,"items":[{"category":"contact.email",)")) {
        throw Wrong{};
      }
      custos_free(out);
      out = nullptr;
      if (ok(custos_check(engine, "{not json", &out)) &&
          !starts_with(out, R"({"allowed":false,"items":[])")) {
        throw Wrong{};
      }
      custos_free(out);
      out = nullptr;
      if (ok(custos_engine_policy(engine, &out)) &&
          !starts_with(out, R"({"name":"oom","version":1,)")) {
        throw Wrong{};
      }
      custos_free(out);
      custos_engine_close(engine);
    });
    report("engine", s);
    CHECK(s.handled > 100);  // the sweep really failed allocations in the calls
  }

  SECTION("bad options are refused, whatever fails") {
    const Sweep s = sweep([&] {
      custos_engine* engine = custos_engine_open(policy.c_str(), R"({"clok": 1})");
      if (engine || !*custos_last_error()) throw Wrong{};
    });
    report("bad options", s);
    CHECK(s.handled > 0);
  }

  SECTION("a consent store: grant, history") {
    const std::string store_path = (dir / "consent.db").string();
    const std::string wal = store_path + "-wal", shm = store_path + "-shm";
    const Sweep s = sweep([&] {
      // A fresh store each run (unlink allocates nothing), so every run
      // makes the same allocations.
      ::unlink(store_path.c_str());
      ::unlink(wal.c_str());
      ::unlink(shm.c_str());
      custos_consent_store* store = custos_consent_open(store_path.c_str());
      if (!opened(store)) return;
      char* out = nullptr;
      if (ok(custos_consent_grant(store, "c-1", "marketing", 1795000000, CUSTOS_NO_EXPIRY,
                                  "form")) &&
          ok(custos_consent_history(store, "c-1", &out)) &&
          !starts_with(out, R"({"subject":"c-1","records":[{"purpose":"marketing")")) {
        throw Wrong{};
      }
      custos_free(out);
      custos_consent_close(store);
    });
    report("consent", s);
    CHECK(s.handled > 0);
  }

  SECTION("a guarded read: open the database and a session, query") {
    // The guard's callbacks run inside SQLite's C frames: an allocation
    // failing there must become the query's error, never an exception
    // unwinding through SQLite.
    const std::string guard_policy = (dir / "guard.custos").string();
    std::ofstream(guard_policy)
        << "policy \"oomg\" version 1\ncategory contact.email\ncategory identity.name\n"
           "purpose support basis contract\nrole agent\n"
           "allow agent to read identity.name, contact.email as mask for support\n"
           "table Customer {\n  subject Id\n  Name : identity.name\n  Email : contact.email\n}\n";
    const std::string db_path = (dir / "crm.db").string();
    {
      sqlite3* db = nullptr;
      REQUIRE(sqlite3_open(db_path.c_str(), &db) == SQLITE_OK);
      REQUIRE(sqlite3_exec(db,
                           "CREATE TABLE Customer (Id INTEGER PRIMARY KEY, Name TEXT, Email TEXT);"
                           "INSERT INTO Customer VALUES (1, 'Ada', 'ada@example.com'),"
                           " (2, 'Bruno', 'bruno@example.com');",
                           nullptr, nullptr, nullptr) == SQLITE_OK);
      sqlite3_close(db);
    }
    const Sweep s = sweep([&] {
      custos_engine* engine = custos_engine_open(guard_policy.c_str(), R"({"clock": 1795867200})");
      if (!opened(engine)) return;
      custos_database* db = custos_database_open(db_path.c_str(), engine, nullptr);
      if (opened(db)) {
        custos_session* session =
            custos_session_open(db, R"({"actor": {"id": "a-1", "roles": ["agent"]},)"
                                    R"( "purpose": "support"})");
        if (opened(session)) {
          char* out = nullptr;
          if (ok(custos_session_query_json(
                  session, "SELECT Name, Email FROM Customer WHERE Id >= 1", nullptr, &out)) &&
              std::strcmp(out, R"({"columns":["Name","Email"],"rows":[["Ada","a***@example.com"],)"
                               R"(["Bruno","b***@example.com"]]})") != 0) {
            throw Wrong{};
          }
          custos_free(out);
          custos_session_close(session);
        }
        custos_database_close(db);
      }
      custos_engine_close(engine);
    });
    report("guarded read", s);
    CHECK(s.handled > 50);
  }
}
