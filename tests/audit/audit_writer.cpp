// A process that appends to an audit log until it is killed, and says on
// stdout what the log acknowledged as durable. The crash test
// (audit_crash_test.cpp) kills it with SIGKILL at random moments and checks
// that the log verifies and holds every acknowledged entry. Not installed.
//
//   custos_audit_writer LOG sync|batched RUN [--threads=N] [--flush-every=N]
//                       [--limit=N] [--lie]
//
// Every entry's actor is a marker `rRUNtTHREADiI` (I counts from 0 in each
// thread), so the test can find each acknowledged entry in the log.
//
// - sync: N threads (default 2) append; after each append() returns (the
//   entry is durable), the thread prints `ack MARKER DURABLE_SEQ`.
// - batched: one thread appends and calls flush() every --flush-every
//   appends (default 100); after each flush returns it prints
//   `durable DURABLE_SEQ COUNT`: the first COUNT entries of thread 0 are
//   durable.
// - --limit=N: each thread stops after N appends and the process waits to be
//   killed (keeps the log small); default: no limit.
// - --lie (batched only): prints `durable ... COUNT` after every append
//   without flushing, with a long batch delay: a control the test must
//   catch losing acknowledged entries.
//
// Each line is written with one write(2) to stdout (well below PIPE_BUF), so
// a kill never leaves half a line. Exit 1 when an append or flush fails.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "custos/audit.hpp"

namespace {

std::string option(int argc, char** argv, const char* name, const char* fallback) {
  const std::string prefix = std::string("--") + name + "=";
  for (int i = 4; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0) return argv[i] + prefix.size();
  }
  return fallback;
}

bool flag(int argc, char** argv, const char* name) {
  for (int i = 4; i < argc; ++i) {
    if (std::string(argv[i]) == std::string("--") + name) return true;
  }
  return false;
}

void say(const std::string& line) {
  const std::string text = line + "\n";
  if (::write(STDOUT_FILENO, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    std::_Exit(1);
  }
}

[[noreturn]] void die(const std::string& what, const custos::Status& s) {
  std::fprintf(stderr, "custos_audit_writer: %s: %s\n", what.c_str(), s.message().c_str());
  std::_Exit(1);
}

custos::AccessRecord entry(const std::string& marker, std::mt19937_64& rng) {
  custos::AccessRecord r;
  r.kind = custos::AccessRecord::Kind::kRead;
  r.time = 1795867200 + static_cast<custos::Timestamp>(rng() % 86400);
  r.actor = marker;
  r.roles = {"support_agent"};
  r.purpose = "service.support";
  r.action = "read";
  custos::AccessRecord::Column email;
  email.table = "Customer";
  email.column = "Email";
  email.category = "contact.email";
  email.allowed = true;
  email.transform = custos::Transform{custos::Transform::Kind::kMask, 0};
  email.rule = "support-contact";
  r.columns = {email};
  r.sql = "SELECT Email FROM Customer WHERE CustomerId = ?";
  r.fingerprint = "0123456789abcdef";
  // Mostly a few subjects (the index); now and then a scan (a subject set).
  const std::size_t n = rng() % 20 == 0 ? 100 + rng() % 200 : 1 + rng() % 3;
  for (std::size_t i = 0; i < n; ++i) r.subjects.push_back(std::to_string(1 + rng() % 10000));
  r.rows = r.subjects.size();
  r.policy.version = 1;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || (std::string(argv[2]) != "sync" && std::string(argv[2]) != "batched")) {
    std::fprintf(stderr,
                 "usage: custos_audit_writer LOG sync|batched RUN [--threads=N] "
                 "[--flush-every=N] [--limit=N] [--lie]\n");
    return 2;
  }
  const std::string path = argv[1];
  const bool sync = std::string(argv[2]) == "sync";
  const std::string run = argv[3];
  const int threads = sync ? std::atoi(option(argc, argv, "threads", "2").c_str()) : 1;
  const long flush_every = std::atol(option(argc, argv, "flush-every", "100").c_str());
  const long limit = std::atol(option(argc, argv, "limit", "0").c_str());
  const bool lie = flag(argc, argv, "lie");

  custos::AuditOptions options;
  options.key = std::string(32, 'k');
  options.durability =
      sync ? custos::AuditOptions::Durability::kSync : custos::AuditOptions::Durability::kBatched;
  options.batch_delay_ms = lie ? 60000 : 20;
  auto log = custos::AuditLog::open(path, options);
  if (!log.ok()) die("open", log.status());
  custos::AuditLog& audit = **log;

  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937_64 rng(std::hash<std::string>()(run) + static_cast<unsigned>(t));
      for (long i = 0; limit == 0 || i < limit; ++i) {
        const std::string marker = "r" + run + "t" + std::to_string(t) + "i" + std::to_string(i);
        if (custos::Status s = audit.append(entry(marker, rng)); !s.ok()) die("append", s);
        if (sync) {
          say("ack " + marker + " " + std::to_string(audit.durable_seq()));
        } else if (lie) {
          say("durable " + std::to_string(audit.durable_seq()) + " " + std::to_string(i + 1));
        } else if ((i + 1) % flush_every == 0) {
          if (custos::Status s = audit.flush(); !s.ok()) die("flush", s);
          say("durable " + std::to_string(audit.durable_seq()) + " " + std::to_string(i + 1));
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  say("idle");
  while (true) ::pause();  // until killed
}
