// Crash safety (issue 8, item 9): a writer process (audit_writer.cpp) is
// killed with SIGKILL at random moments, again and again on the same log, in
// each durability mode. After every kill the log must verify, and every entry
// the writer acknowledged as durable (sync: append() returned; batched: a
// flush() returned) must be in it, exactly once. Each new writer reopens the
// log a killed one left, so recovery from a crash in the middle of a group's
// transaction is exercised too.
//
// CUSTOS_CRASH_SEED=N repeats a run's kill times; CUSTOS_CRASH_KILLS=N sets
// the kills per mode (default 25).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "catch.hpp"
#include "custos/audit.hpp"

extern char** environ;

using namespace custos;

namespace {

const std::string kKey(32, 'k');  // audit_writer.cpp's key

struct Scratch {
  std::string dir;
  explicit Scratch(const std::string& name)
      : dir((std::filesystem::temp_directory_path() /
             ("custos-crash-" + name + "-" + std::to_string(::getpid())))
                .string()) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  ~Scratch() { std::filesystem::remove_all(dir); }
  std::string file(const std::string& name) const { return dir + "/" + name; }
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A writer process, its stdout and stderr in files.
struct Writer {
  pid_t pid = -1;
  std::string out, err;

  Writer(const std::string& log, const std::vector<std::string>& args, const std::string& dir) {
    out = dir + "/writer.out";
    err = dir + "/writer.err";
    std::vector<std::string> all = {CUSTOS_AUDIT_WRITER, log};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int rc = posix_spawn(&pid, CUSTOS_AUDIT_WRITER, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE(rc == 0);
  }

  // SIGKILL, then the status must say it was the kill that ended it (not a
  // failed append).
  void kill_now() {
    REQUIRE(::kill(pid, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    INFO("writer stderr: " << slurp(err));
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(WTERMSIG(status) == SIGKILL);
  }
};

// What the writers acknowledged, over all runs.
struct Acknowledged {
  std::vector<std::string> markers;  // entries acknowledged durable
  std::uint64_t durable_seq = 0;     // the largest durable_seq() reported

  // Reads one killed run's stdout (see audit_writer.cpp for the lines).
  void add_run(const std::string& run, const std::string& out) {
    std::istringstream lines(out);
    std::string line;
    long batched_count = 0;
    while (std::getline(lines, line)) {
      std::istringstream words(line);
      std::string what;
      words >> what;
      if (what == "ack") {
        std::string marker;
        std::uint64_t seq = 0;
        words >> marker >> seq;
        markers.push_back(marker);
        durable_seq = std::max(durable_seq, seq);
      } else if (what == "durable") {
        std::uint64_t seq = 0;
        long count = 0;
        words >> seq >> count;
        durable_seq = std::max(durable_seq, seq);
        batched_count = std::max(batched_count, count);
      }
    }
    for (long i = 0; i < batched_count; ++i) {
      markers.push_back("r" + run + "t0i" + std::to_string(i));
    }
  }
};

// "" when the log verifies and holds every acknowledged entry exactly once;
// else what is wrong.
std::string check_log(const std::string& path, const Acknowledged& acks) {
  if (!std::filesystem::exists(path) || std::filesystem::file_size(path) == 0) {
    return acks.markers.empty() && acks.durable_seq == 0 ? "" : "the log is gone";
  }
  auto v = verify_audit_log(path, kKey);
  if (!v.ok()) {
    // A writer killed while creating the file leaves no audit log yet; that
    // is fine only when nothing was ever acknowledged.
    if (v.status().code() == StatusCode::kNotFound && acks.markers.empty()) return "";
    return "does not verify: " + v.status().message();
  }
  if (v->entries < acks.durable_seq) {
    return std::to_string(v->entries) + " entries, but entry " + std::to_string(acks.durable_seq) +
           " was acknowledged durable";
  }
  std::map<std::string, int> actors;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return "cannot open the log";
  }
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, "SELECT entry FROM audit_entries", -1, &s, nullptr);
  while (sqlite3_step(s) == SQLITE_ROW) {
    const auto e = nlohmann::json::parse(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
    ++actors[e["actor"].get<std::string>()];
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  for (const auto& [actor, n] : actors) {
    if (n != 1) return "entry " + actor + " is in the log " + std::to_string(n) + " times";
  }
  for (const auto& marker : acks.markers) {
    if (!actors.count(marker)) return "acknowledged entry " + marker + " is missing";
  }
  if (actors.size() != v->entries) return "entries and actors differ";
  return "";
}

std::uint64_t seed() {
  if (const char* s = std::getenv("CUSTOS_CRASH_SEED")) return std::strtoull(s, nullptr, 10);
  return std::random_device()();
}

int kills() {
  if (const char* s = std::getenv("CUSTOS_CRASH_KILLS")) return std::atoi(s);
  return 25;
}

// Kills a writer in `mode` `kills()` times on one log, checking after each.
void crash_repeatedly(const std::string& mode) {
  Scratch s(mode);
  const std::string log = s.file("audit.db");
  const std::uint64_t run_seed = seed();
  std::mt19937_64 rng(run_seed);
  std::printf("crash test (%s): CUSTOS_CRASH_SEED=%llu\n", mode.c_str(),
              static_cast<unsigned long long>(run_seed));
  Acknowledged acks;
  std::size_t runs_with_acks = 0;
  const int n = kills();
  for (int run = 0; run < n; ++run) {
    std::vector<std::string> args = {mode, std::to_string(run)};
    if (mode == "batched") {
      static const char* kFlushEvery[] = {"1", "7", "64", "500"};
      args.push_back(std::string("--flush-every=") + kFlushEvery[rng() % 4]);
    }
    args.push_back("--limit=3000");  // keeps the log, and each verify, small
    // From a few ms (the writer still opening or recovering the log) to a
    // few hundred (many groups committed, one in flight).
    const int wait_ms =
        static_cast<int>(std::exp(std::uniform_real_distribution<double>(0.7, 5.8)(rng)));
    Writer writer(log, args, s.dir);
    // Every other run waits for the first acknowledgement before its random
    // delay, so at least half the kills hit a log with durable entries even
    // on a loaded machine (a slow start must not make the test test nothing).
    if (run % 2 == 1) {
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      const auto written = [&] {
        std::error_code ec;  // the writer may not have created the file yet
        const auto size = std::filesystem::file_size(writer.out, ec);
        return !ec && size > 0;
      };
      while (!written() && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    writer.kill_now();
    const std::size_t before = acks.markers.size();
    acks.add_run(std::to_string(run), slurp(writer.out));
    if (acks.markers.size() > before) ++runs_with_acks;
    INFO("run " << run << " killed after " << wait_ms << " ms; seed " << run_seed);
    REQUIRE(check_log(log, acks) == "");
  }
  // Most kills came after some entries were acknowledged (else the test
  // tested nothing), and the log still takes appends after the last crash.
  CHECK(runs_with_acks >= static_cast<std::size_t>(n) / 2);
  const auto before = verify_audit_log(log, kKey);
  REQUIRE(before.ok());
  {
    AuditOptions options;
    options.key = kKey;
    options.durability = AuditOptions::Durability::kSync;
    auto reopened = AuditLog::open(log, options);
    REQUIRE(reopened.ok());
    AccessRecord r;
    r.actor = "after-the-crashes";
    REQUIRE((*reopened)->append(r).ok());
    CHECK((*reopened)->durable_seq() == before->entries + 1);
  }
  const auto after = verify_audit_log(log, kKey);
  REQUIRE(after.ok());
  CHECK(after->entries == before->entries + 1);
  std::printf("crash test (%s): %d kills, %zu entries acknowledged, %llu entries in the log\n",
              mode.c_str(), n, acks.markers.size(),
              static_cast<unsigned long long>(after->entries));
}

}  // namespace

TEST_CASE("crash: SIGKILL at random moments, sync mode: acknowledged entries survive",
          "[audit][crash]") {
  crash_repeatedly("sync");
}

TEST_CASE("crash: SIGKILL at random moments, batched mode: flushed entries survive",
          "[audit][crash]") {
  crash_repeatedly("batched");
}

TEST_CASE("crash: the check catches acknowledged entries that were lost (control)",
          "[audit][crash]") {
  // A lying writer: it acknowledges batched entries that are only queued
  // (60 s batch delay), then idles. Killing it loses them; the check says so.
  Scratch s("control");
  const std::string log = s.file("audit.db");
  Writer writer(log, {"batched", "0", "--lie", "--limit=5"}, s.dir);
  for (int i = 0; i < 500 && slurp(writer.out).find("idle") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  writer.kill_now();
  Acknowledged acks;
  acks.add_run("0", slurp(writer.out));
  REQUIRE(acks.markers.size() == 5);
  CHECK(check_log(log, acks) == "acknowledged entry r0t0i0 is missing");
  // And a log whose acknowledged seq is beyond its end.
  Acknowledged beyond;
  beyond.durable_seq = 1;
  CHECK(check_log(log, beyond) == "0 entries, but entry 1 was acknowledged durable");
}
