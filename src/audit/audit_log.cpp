// AuditLog: the writer. Callers turn their records into entries (canonical
// JSON without `seq`) and queue them; one writer thread numbers them, chains
// them and commits them in groups (FORMAT.md).
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "audit/entry.hpp"
#include "audit/log_file.hpp"
#include "custos/audit.hpp"

namespace custos {

class CUSTOS_NO_EXPORT AuditLog::Impl {
 public:
  ~Impl() { stop(); }

  Status start(const std::string& path, AuditOptions options);
  Status append(const AccessRecord& record);
  Status flush();
  void stop();

  audit::LogFile file;
  AuditOptions options;
  std::unique_ptr<crypto::HmacSha256> hasher;

  mutable std::mutex mutex;
  std::condition_variable queued, written, room;
  std::deque<audit::PendingEntry> queue;
  std::uint64_t tickets = 0;       // entries queued so far
  std::uint64_t done_tickets = 0;  // of those, durable (or failed)
  std::uint64_t durable_seq = 0;   // the head's seq
  std::uint64_t sync_waiters = 0;  // callers waiting for durability now
  Status failure;                  // once set, every append fails
  bool stopping = false;
  std::thread writer;

 private:
  void run();
  Status write_group(std::vector<audit::PendingEntry>& group);
};

Status AuditLog::Impl::start(const std::string& path, AuditOptions opts) {
  options = std::move(opts);
  if (!options.key.empty() && options.key.size() < 16) {
    return Status(StatusCode::kInvalidArgument, path + ": an audit key has at least 16 bytes");
  }
  if (Status s = audit::open_log(path, /*create=*/true, !options.key.empty(), file); !s.ok()) {
    return s;
  }
  if (file.keyed && options.key.empty()) {
    return Status(StatusCode::kInvalidArgument,
                  path + ": this audit log's chain is keyed: open it with its key");
  }
  if (!file.keyed && !options.key.empty()) {
    return Status(StatusCode::kInvalidArgument,
                  path + ": this audit log's chain has no key: open it without one");
  }
  if (file.keyed) hasher = std::make_unique<crypto::HmacSha256>(options.key);
  // Durable means on disk: each group's commit waits for the write.
  char* message = nullptr;
  sqlite3_exec(file.db, "PRAGMA synchronous = FULL", nullptr, nullptr, &message);
  sqlite3_free(message);
  audit::Statement last;
  if (Status s = file.prepare("SELECT max(seq) FROM audit_entries", last); !s.ok()) return s;
  if (sqlite3_step(last.stmt) == SQLITE_ROW) {
    durable_seq = static_cast<std::uint64_t>(sqlite3_column_int64(last.stmt, 0));
  }
  writer = std::thread([this] { run(); });
  return Status();
}

Status AuditLog::Impl::append(const AccessRecord& record) {
  audit::PendingEntry pending = audit::make_entry(record);
  std::unique_lock<std::mutex> lock(mutex);
  if (!failure.ok()) return failure;
  // A full queue blocks: no entry is ever dropped.
  room.wait(lock,
            [&] { return queue.size() < options.queue_capacity || !failure.ok() || stopping; });
  if (!failure.ok()) return failure;
  if (stopping) return Status(StatusCode::kIoError, file.path + ": the audit log is closing");
  const std::uint64_t ticket = ++tickets;
  pending.ticket = ticket;
  queue.push_back(std::move(pending));
  const bool sync = options.durability == AuditOptions::Durability::kSync;
  if (sync) ++sync_waiters;
  queued.notify_one();
  if (!sync) return Status();
  written.wait(lock, [&] { return done_tickets >= ticket; });
  --sync_waiters;
  return failure;
}

Status AuditLog::Impl::flush() {
  std::unique_lock<std::mutex> lock(mutex);
  const std::uint64_t ticket = tickets;
  ++sync_waiters;
  queued.notify_one();
  written.wait(lock, [&] { return done_tickets >= ticket; });
  --sync_waiters;
  return failure;
}

void AuditLog::Impl::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (!writer.joinable()) return;
    stopping = true;
  }
  queued.notify_all();
  room.notify_all();
  writer.join();
}

void AuditLog::Impl::run() {
  using Clock = std::chrono::steady_clock;
  std::unique_lock<std::mutex> lock(mutex);
  while (true) {
    queued.wait(lock, [&] { return !queue.empty() || stopping; });
    if (queue.empty() && stopping) return;
    // Batched: wait until the oldest entry is batch_delay old, a caller
    // waits for durability, or the group is large; sync: commit at once
    // (callers arriving meanwhile join the next group).
    if (options.durability == AuditOptions::Durability::kBatched) {
      const auto deadline = Clock::now() + std::chrono::milliseconds(options.batch_delay_ms);
      queued.wait_until(lock, deadline,
                        [&] { return stopping || sync_waiters > 0 || queue.size() >= 4096; });
    }
    std::vector<audit::PendingEntry> group;
    const std::size_t n = std::min<std::size_t>(queue.size(), 8192);
    group.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      group.push_back(std::move(queue.front()));
      queue.pop_front();
    }
    room.notify_all();
    const std::uint64_t last_ticket = group.back().ticket;
    lock.unlock();
    Status s = failure.ok() ? write_group(group) : failure;
    lock.lock();
    if (!s.ok() && failure.ok()) failure = s;
    done_tickets = std::max(done_tickets, last_ticket);
    if (!failure.ok()) {
      // Fail closed: nothing queued after a failure is written either.
      for (const auto& p : queue) done_tickets = std::max(done_tickets, p.ticket);
      queue.clear();
    }
    written.notify_all();
    room.notify_all();
  }
}

// One transaction: re-read the head (another process may have appended),
// number, chain and store each entry, commit.
Status AuditLog::Impl::write_group(std::vector<audit::PendingEntry>& group) {
  char* message = nullptr;
  if (sqlite3_exec(file.db, "BEGIN IMMEDIATE", nullptr, nullptr, &message) != SQLITE_OK) {
    sqlite3_free(message);
    return file.error("cannot write the audit log");
  }
  const auto rollback = [&](const std::string& what) {
    const Status s = file.error(what);
    sqlite3_exec(file.db, "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  };
  audit::Statement head, insert, index, set;
  if (!file.prepare("SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1", head).ok() ||
      !file.prepare("INSERT INTO audit_entries (seq, entry, hash) VALUES (?1, ?2, ?3)", insert)
           .ok() ||
      !file.prepare("INSERT INTO audit_subject_index (subject, seq) VALUES (?1, ?2)", index).ok() ||
      !file.prepare("INSERT INTO audit_subject_sets (seq, subjects) VALUES (?1, ?2)", set).ok()) {
    return rollback("cannot write the audit log");
  }
  std::uint64_t seq = 0;
  crypto::Digest previous{};
  if (sqlite3_step(head.stmt) == SQLITE_ROW) {
    seq = static_cast<std::uint64_t>(sqlite3_column_int64(head.stmt, 0));
    if (sqlite3_column_bytes(head.stmt, 1) != static_cast<int>(previous.size())) {
      return rollback("the chain's head is damaged");
    }
    std::memcpy(previous.data(), sqlite3_column_blob(head.stmt, 1), previous.size());
  }
  for (auto& pending : group) {
    ++seq;
    const std::string text = audit::finish_entry(pending, seq);
    const crypto::Digest hash = audit::chain_hash(hasher.get(), previous, text);
    sqlite3_bind_int64(insert.stmt, 1, static_cast<sqlite3_int64>(seq));
    sqlite3_bind_text(insert.stmt, 2, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
    sqlite3_bind_blob(insert.stmt, 3, hash.data(), static_cast<int>(hash.size()), SQLITE_STATIC);
    if (sqlite3_step(insert.stmt) != SQLITE_DONE) return rollback("cannot write the audit log");
    sqlite3_reset(insert.stmt);
    if (!pending.encoded_set.empty()) {
      const std::string& encoded = pending.encoded_set;
      sqlite3_bind_int64(set.stmt, 1, static_cast<sqlite3_int64>(seq));
      sqlite3_bind_blob(set.stmt, 2, encoded.data(), static_cast<int>(encoded.size()),
                        SQLITE_STATIC);
      if (sqlite3_step(set.stmt) != SQLITE_DONE) return rollback("cannot write the audit log");
      sqlite3_reset(set.stmt);
    } else {
      for (const auto& subject : pending.subjects) {
        sqlite3_bind_text(index.stmt, 1, subject.data(), static_cast<int>(subject.size()),
                          SQLITE_STATIC);
        sqlite3_bind_int64(index.stmt, 2, static_cast<sqlite3_int64>(seq));
        if (sqlite3_step(index.stmt) != SQLITE_DONE) return rollback("cannot write the audit log");
        sqlite3_reset(index.stmt);
      }
    }
    previous = hash;
  }
  if (sqlite3_exec(file.db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return rollback("cannot commit to the audit log");
  }
  std::lock_guard<std::mutex> lock(mutex);
  durable_seq = seq;
  return Status();
}

AuditLog::AuditLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AuditLog::~AuditLog() = default;

Result<std::unique_ptr<AuditLog>> AuditLog::open(const std::string& path, AuditOptions options) {
  auto impl = std::make_unique<Impl>();
  if (Status s = impl->start(path, std::move(options)); !s.ok()) return s;
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(impl)));
}

Status AuditLog::append(const AccessRecord& record) {
  return impl_->append(record);
}

Status AuditLog::flush() {
  return impl_->flush();
}

std::uint64_t AuditLog::durable_seq() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->durable_seq;
}

}  // namespace custos
