// The audit log against plain SQLite and OpenSSL doing the same work, in one
// process. One JSON line per measure (medians of --runs runs):
//   raw insert batched, audit append batched, audit append sync 2 threads,
//   sha256 chain, audit verify                        entries (rows) per second
//   raw subject query, audit report                   ms (one subject of a
//                                                     1,000,000-entry log;
//   audit report opening the file                     the report through an
//                                                     open AuditReader, and
//                                                     audit_report(path))
//   custos_bench_audit --data=DIR [--entries=1000000] [--subjects=10000] [--runs=5]
#include <sqlite3.h>

#include <filesystem>
#include <thread>

#include "bench_util.hpp"
#include "crypto/crypto.hpp"
#include "custos/audit.hpp"

using namespace custos;
using custos::bench::now_ns;
using custos::bench::report;
using custos::bench::summarize;

namespace {

AccessRecord sample(long i, long subjects) {
  AccessRecord r;
  r.kind = AccessRecord::Kind::kRead;
  r.time = 1795867200 + i;
  r.actor = "agent-" + std::to_string(i % 50);
  r.roles = {"support_agent"};
  r.purpose = "service.support";
  r.action = "read";
  for (const char* column : {"FirstName", "Email", "City"}) {
    AccessRecord::Column c;
    c.table = "Customer";
    c.column = column;
    c.category = std::string("contact.") + column;
    c.allowed = true;
    c.transform = Transform{Transform::Kind::kMask, 0};
    c.rule = "support-contact";
    r.columns.push_back(c);
  }
  r.sql = "SELECT FirstName, Email, City FROM Customer WHERE CustomerId = ?";
  r.fingerprint = "5e3a0b8c7d6f1e2a";
  r.rows = 1;
  r.subjects = {std::to_string(i % subjects + 1)};
  r.policy.version = 7;
  return r;
}

void exec(sqlite3* db, const char* sql) {
  sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = bench::arg(argc, argv, "data", "/tmp/custos-audit-bench");
  const long entries = std::atol(bench::arg(argc, argv, "entries", "1000000").c_str());
  const long subjects = std::atol(bench::arg(argc, argv, "subjects", "10000").c_str());
  const int runs = std::atoi(bench::arg(argc, argv, "runs", "5").c_str());
  const long batch = 100000;  // entries per throughput run
  std::filesystem::create_directories(dir);

  // A typical entry's size, for the raw insert.
  AuditOptions sizing;
  const std::string probe_path = dir + "/probe.db";
  std::filesystem::remove(probe_path);
  std::string entry_text;
  {
    auto log = AuditLog::open(probe_path, sizing);
    (*log)->append(sample(1, subjects)).ok();
    (*log)->flush().ok();
  }
  export_audit_log(probe_path, 0, [&](const std::string& line) { entry_text = line; }).ok();
  const std::size_t entry_bytes = entry_text.size();

  // ---- raw SQLite: WAL inserts of entry-sized rows, 1,000 per transaction ----
  std::vector<double> raw_insert;
  for (int r = 0; r <= runs; ++r) {
    const std::string path = dir + "/raw.db";
    std::filesystem::remove(path);
    std::filesystem::remove(path + "-wal");
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    exec(db,
         "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
         "CREATE TABLE t (seq INTEGER PRIMARY KEY, entry TEXT, hash BLOB);"
         "CREATE TABLE i (subject TEXT, seq INTEGER, PRIMARY KEY (subject, seq)) WITHOUT ROWID");
    sqlite3_stmt* insert = nullptr;
    sqlite3_stmt* index = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?1, ?2, ?3)", -1, &insert, nullptr);
    sqlite3_prepare_v2(db, "INSERT INTO i VALUES (?1, ?2)", -1, &index, nullptr);
    const std::string text(entry_bytes, 'x');
    const std::string hash(32, 'h');
    const double t = now_ns();
    for (long i = 0; i < batch; ++i) {
      if (i % 1000 == 0) exec(db, "BEGIN");
      sqlite3_bind_int64(insert, 1, i + 1);
      sqlite3_bind_text(insert, 2, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
      sqlite3_bind_blob(insert, 3, hash.data(), 32, SQLITE_STATIC);
      sqlite3_step(insert);
      sqlite3_reset(insert);
      const std::string subject = std::to_string(i % subjects + 1);
      sqlite3_bind_text(index, 1, subject.data(), static_cast<int>(subject.size()), SQLITE_STATIC);
      sqlite3_bind_int64(index, 2, i + 1);
      sqlite3_step(index);
      sqlite3_reset(index);
      if (i % 1000 == 999) exec(db, "COMMIT");
    }
    if (r > 0) raw_insert.push_back(batch / ((now_ns() - t) / 1e9));
    sqlite3_finalize(insert);
    sqlite3_finalize(index);
    sqlite3_close(db);
  }
  report("raw insert batched", "rows/s", summarize(raw_insert),
         "\"entry_bytes\":" + std::to_string(entry_bytes));

  // ---- audit appends, batched, one thread ----
  std::vector<double> batched;
  for (int r = 0; r <= runs; ++r) {
    const std::string path = dir + "/batched.db";
    std::filesystem::remove(path);
    std::filesystem::remove(path + "-wal");
    AuditOptions options;
    options.key = std::string(32, 'k');
    auto log = AuditLog::open(path, options);
    const double t = now_ns();
    for (long i = 0; i < batch; ++i) (*log)->append(sample(i, subjects)).ok();
    (*log)->flush().ok();
    if (r > 0) batched.push_back(batch / ((now_ns() - t) / 1e9));
  }
  report("audit append batched", "entries/s", summarize(batched));

  // ---- audit appends, sync, two threads (group commit) ----
  std::vector<double> sync;
  const long sync_batch = 2000;
  for (int r = 0; r <= runs; ++r) {
    const std::string path = dir + "/sync.db";
    std::filesystem::remove(path);
    std::filesystem::remove(path + "-wal");
    AuditOptions options;
    options.key = std::string(32, 'k');
    options.durability = AuditOptions::Durability::kSync;
    auto log = AuditLog::open(path, options);
    const double t = now_ns();
    std::thread a([&] {
      for (long i = 0; i < sync_batch / 2; ++i) (*log)->append(sample(i, subjects)).ok();
    });
    std::thread b([&] {
      for (long i = 0; i < sync_batch / 2; ++i) (*log)->append(sample(i, subjects)).ok();
    });
    a.join();
    b.join();
    if (r > 0) sync.push_back(sync_batch / ((now_ns() - t) / 1e9));
  }
  report("audit append sync 2 threads", "entries/s", summarize(sync));

  // ---- the chain alone: SHA-256 over (previous hash || entry) ----
  std::vector<double> chain;
  for (int r = 0; r <= runs; ++r) {
    crypto::Digest h{};
    const double t = now_ns();
    for (long i = 0; i < batch; ++i) {
      h = crypto::sha256(std::string(reinterpret_cast<const char*>(h.data()), 32) + entry_text);
    }
    if (r > 0) chain.push_back(batch / ((now_ns() - t) / 1e9));
    if (h[0] == 0xFF && h[1] == 0xFF) std::printf("#\n");
  }
  report("sha256 chain", "entries/s", summarize(chain));

  // ---- a 1,000,000-entry log with 10,000 subjects ----
  const std::string big = dir + "/big-" + std::to_string(entries) + ".db";
  if (!std::filesystem::exists(big)) {
    AuditOptions options;  // plain SHA-256 chain, as the verify measure compares
    auto log = AuditLog::open(big, options);
    for (long i = 0; i < entries; ++i) (*log)->append(sample(i, subjects)).ok();
    (*log)->flush().ok();
  }
  std::vector<double> verify;
  for (int r = 0; r < runs; ++r) {
    const double t = now_ns();
    auto v = verify_audit_log(big, "");
    if (!v.ok()) {
      std::fprintf(stderr, "verify: %s\n", v.status().message().c_str());
      return 1;
    }
    verify.push_back(static_cast<double>(v->entries) / ((now_ns() - t) / 1e9));
  }
  report("audit verify", "entries/s", summarize(verify));

  sqlite3* db = nullptr;
  sqlite3_open_v2(big.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* query = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT e.seq, e.entry FROM audit_subject_index i JOIN audit_entries e ON "
                     "e.seq = i.seq WHERE i.subject = ?1 ORDER BY e.seq",
                     -1, &query, nullptr);
  // The report as a service makes it: the log opened once (as the raw query
  // has its connection and statement), then one report per subject. Also
  // audit_report(path, ...), which opens and checks the file on each call.
  auto reader = AuditReader::open(big);
  if (!reader.ok()) {
    std::fprintf(stderr, "%s\n", reader.status().message().c_str());
    return 1;
  }
  std::vector<double> raw_query, report_ms, report_open_ms;
  long found = 0;
  for (int r = 0; r <= runs * 4; ++r) {
    const std::string subject = std::to_string(1 + (r * 37) % subjects);
    double t = now_ns();
    sqlite3_bind_text(query, 1, subject.data(), static_cast<int>(subject.size()), SQLITE_STATIC);
    long rows = 0, bytes = 0;
    while (sqlite3_step(query) == SQLITE_ROW) {
      ++rows;
      bytes += sqlite3_column_bytes(query, 1);
    }
    sqlite3_reset(query);
    if (r > 0) raw_query.push_back((now_ns() - t) / 1e6);
    found = rows + (bytes < 0);
    t = now_ns();
    auto json = (*reader)->report(subject);
    if (r > 0) report_ms.push_back((now_ns() - t) / 1e6);
    if (!json.ok()) return 1;
    t = now_ns();
    auto opened = audit_report(big, subject);
    if (r > 0) report_open_ms.push_back((now_ns() - t) / 1e6);
    if (!opened.ok() || *opened != *json) return 1;
  }
  sqlite3_finalize(query);
  sqlite3_close(db);
  report("raw subject query", "ms", summarize(raw_query),
         "\"entries_per_subject\":" + std::to_string(found));
  char ratio[64];
  std::snprintf(ratio, sizeof ratio, "\"ratio_to_raw\":%.3f",
                bench::median_ratio(report_ms, raw_query));
  report("audit report", "ms", summarize(report_ms), ratio);
  report("audit report opening the file", "ms", summarize(report_open_ms));
  return 0;
}
