// ConsentStore: append-only consent history in SQLite, with a per-subject
// cache for the decision hot path.
#include <sqlite3.h>

#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "custos/consent.hpp"

namespace custos {
namespace {

// Marks a SQLite file as a Custos consent store ('CUSC').
constexpr int kApplicationId = 0x43555343;
constexpr int kSchemaVersion = 1;
constexpr std::size_t kMaxFieldBytes = 1024;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS consent_records (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  subject  TEXT NOT NULL,
  purpose  TEXT NOT NULL,
  state    TEXT NOT NULL CHECK (state IN ('granted', 'withdrawn', 'objected')),
  at       INTEGER NOT NULL,
  expires  INTEGER,
  source   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS consent_records_subject ON consent_records (subject, seq);
CREATE TRIGGER IF NOT EXISTS consent_records_no_update BEFORE UPDATE ON consent_records
BEGIN SELECT RAISE(ABORT, 'consent history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS consent_records_no_delete BEFORE DELETE ON consent_records
BEGIN SELECT RAISE(ABORT, 'consent history is append-only'); END;
)sql";

struct Statement {
  sqlite3_stmt* stmt = nullptr;
  ~Statement() { sqlite3_finalize(stmt); }
};

}  // namespace

const char* consent_state_name(ConsentState state) {
  switch (state) {
    case ConsentState::kGranted:
      return "granted";
    case ConsentState::kWithdrawn:
      return "withdrawn";
    case ConsentState::kObjected:
      return "objected";
  }
  return "granted";
}

bool parse_consent_state(const std::string& name, ConsentState* state) {
  if (name == "granted")
    *state = ConsentState::kGranted;
  else if (name == "withdrawn")
    *state = ConsentState::kWithdrawn;
  else if (name == "objected")
    *state = ConsentState::kObjected;
  else
    return false;
  return true;
}

struct CUSTOS_NO_EXPORT ConsentStore::Impl {
  sqlite3* db = nullptr;
  std::string path;
  ConsentOptions options;
  // Serialises use of the connection, and makes "read from the file, then
  // fill the cache" atomic with respect to "append, then update the cache".
  mutable std::mutex db_mutex;
  mutable std::shared_mutex cache_mutex;
  mutable std::unordered_map<std::string, std::shared_ptr<const std::vector<ConsentRecord>>> cache;

  ~Impl() { sqlite3_close_v2(db); }

  Status error(const char* what) const {
    return Status(StatusCode::kIoError, path + ": " + what + ": " + sqlite3_errmsg(db));
  }

  Result<std::vector<ConsentRecord>> load(std::string_view subject) const {
    Statement s;
    if (sqlite3_prepare_v2(db,
                           "SELECT purpose, state, at, expires, source FROM consent_records "
                           "WHERE subject = ?1 ORDER BY seq",
                           -1, &s.stmt, nullptr) != SQLITE_OK) {
      return error("cannot read consent records");
    }
    sqlite3_bind_text(s.stmt, 1, subject.data(), static_cast<int>(subject.size()),
                      SQLITE_TRANSIENT);
    std::vector<ConsentRecord> out;
    int rc;
    while ((rc = sqlite3_step(s.stmt)) == SQLITE_ROW) {
      ConsentRecord r;
      const auto* purpose = sqlite3_column_text(s.stmt, 0);
      const auto* state = sqlite3_column_text(s.stmt, 1);
      const auto* source = sqlite3_column_text(s.stmt, 4);
      if (!purpose || !state ||
          !parse_consent_state(reinterpret_cast<const char*>(state), &r.state)) {
        return Status(StatusCode::kCorruption, path + ": a consent record is damaged");
      }
      r.purpose = reinterpret_cast<const char*>(purpose);
      r.at = sqlite3_column_int64(s.stmt, 2);
      if (sqlite3_column_type(s.stmt, 3) != SQLITE_NULL)
        r.expires = sqlite3_column_int64(s.stmt, 3);
      if (source) r.source = reinterpret_cast<const char*>(source);
      out.push_back(std::move(r));
    }
    if (rc != SQLITE_DONE) return error("cannot read consent records");
    return out;
  }
};

ConsentStore::ConsentStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ConsentStore::~ConsentStore() = default;

Result<std::unique_ptr<ConsentStore>> ConsentStore::open(const std::string& path,
                                                         ConsentOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->options = options;
  const int flags =
      options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(path.c_str(), &impl->db, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    return Status(StatusCode::kIoError,
                  path + ": cannot open consent store: " +
                      (impl->db ? sqlite3_errmsg(impl->db) : "out of memory"));
  }
  sqlite3_busy_timeout(impl->db, 5000);
  // Is this a consent store, an empty file, or something else? (Statements
  // are finished before the set-up below, which needs no open transaction.)
  int application_id = 0;
  bool empty = false;
  {
    Statement s;
    if (sqlite3_prepare_v2(impl->db, "PRAGMA application_id", -1, &s.stmt, nullptr) != SQLITE_OK ||
        sqlite3_step(s.stmt) != SQLITE_ROW) {
      return Status(StatusCode::kCorruption,
                    path + ": not a consent store: " + sqlite3_errmsg(impl->db));
    }
    application_id = sqlite3_column_int(s.stmt, 0);
    Statement count;
    sqlite3_prepare_v2(impl->db, "SELECT count(*) FROM sqlite_schema", -1, &count.stmt, nullptr);
    empty = count.stmt && sqlite3_step(count.stmt) == SQLITE_ROW &&
            sqlite3_column_int(count.stmt, 0) == 0;
  }
  if (application_id != kApplicationId && !(application_id == 0 && empty)) {
    return Status(StatusCode::kCorruption, path + ": not a consent store (another kind of file)");
  }
  if (!options.read_only) {
    const std::string setup =
        "PRAGMA journal_mode=WAL; PRAGMA application_id=" + std::to_string(kApplicationId) +
        "; PRAGMA user_version=" + std::to_string(kSchemaVersion) + ";" + kSchema;
    char* message = nullptr;
    if (sqlite3_exec(impl->db, setup.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      const std::string text = message ? message : "unknown error";
      sqlite3_free(message);
      return Status(StatusCode::kIoError, path + ": cannot set up consent store: " + text);
    }
  }
  return std::unique_ptr<ConsentStore>(new ConsentStore(std::move(impl)));
}

Status ConsentStore::append(std::string_view subject, const ConsentRecord& record) {
  if (subject.empty() || subject.size() > kMaxFieldBytes) {
    return Status(StatusCode::kInvalidArgument,
                  "a consent record needs a subject (1 to 1024 bytes)");
  }
  if (record.purpose.empty() || record.purpose.size() > kMaxFieldBytes) {
    return Status(StatusCode::kInvalidArgument,
                  "a consent record needs a purpose (1 to 1024 bytes)");
  }
  if (record.source.size() > kMaxFieldBytes) {
    return Status(StatusCode::kInvalidArgument,
                  "a consent record's source is longer than 1024 bytes");
  }
  if (record.expires && record.state != ConsentState::kGranted) {
    return Status(StatusCode::kInvalidArgument, "only a grant can expire");
  }
  if (impl_->options.read_only) {
    return Status(StatusCode::kInvalidArgument, impl_->path + ": opened read-only");
  }
  std::lock_guard<std::mutex> db_lock(impl_->db_mutex);
  Statement s;
  if (sqlite3_prepare_v2(
          impl_->db,
          "INSERT INTO consent_records (subject, purpose, state, at, expires, source) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
          -1, &s.stmt, nullptr) != SQLITE_OK) {
    return impl_->error("cannot append consent record");
  }
  sqlite3_bind_text(s.stmt, 1, subject.data(), static_cast<int>(subject.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(s.stmt, 2, record.purpose.data(), static_cast<int>(record.purpose.size()),
                    SQLITE_TRANSIENT);
  sqlite3_bind_text(s.stmt, 3, consent_state_name(record.state), -1, SQLITE_STATIC);
  sqlite3_bind_int64(s.stmt, 4, record.at);
  if (record.expires) {
    sqlite3_bind_int64(s.stmt, 5, *record.expires);
  } else {
    sqlite3_bind_null(s.stmt, 5);
  }
  sqlite3_bind_text(s.stmt, 6, record.source.data(), static_cast<int>(record.source.size()),
                    SQLITE_TRANSIENT);
  if (sqlite3_step(s.stmt) != SQLITE_DONE) return impl_->error("cannot append consent record");
  // Keep the cache coherent: replace this subject's snapshot, if cached.
  std::unique_lock<std::shared_mutex> cache_lock(impl_->cache_mutex);
  const auto it = impl_->cache.find(std::string(subject));
  if (it != impl_->cache.end()) {
    auto updated = std::make_shared<std::vector<ConsentRecord>>(*it->second);
    updated->push_back(record);
    it->second = std::move(updated);
  }
  return Status();
}

Status ConsentStore::grant(std::string_view subject, std::string_view purpose, Timestamp at,
                           std::optional<Timestamp> expires, std::string_view source) {
  return append(subject, ConsentRecord{std::string(purpose), ConsentState::kGranted, at, expires,
                                       std::string(source)});
}

Status ConsentStore::withdraw(std::string_view subject, std::string_view purpose, Timestamp at,
                              std::string_view source) {
  return append(subject, ConsentRecord{std::string(purpose), ConsentState::kWithdrawn, at,
                                       std::nullopt, std::string(source)});
}

Status ConsentStore::object(std::string_view subject, std::string_view purpose, Timestamp at,
                            std::string_view source) {
  return append(subject, ConsentRecord{std::string(purpose), ConsentState::kObjected, at,
                                       std::nullopt, std::string(source)});
}

Result<std::vector<ConsentRecord>> ConsentStore::history(std::string_view subject) const {
  std::lock_guard<std::mutex> db_lock(impl_->db_mutex);
  return impl_->load(subject);
}

Result<std::shared_ptr<const std::vector<ConsentRecord>>> ConsentStore::records(
    std::string_view subject) const {
  const std::string key(subject);
  {
    std::shared_lock<std::shared_mutex> lock(impl_->cache_mutex);
    const auto it = impl_->cache.find(key);
    if (it != impl_->cache.end()) return it->second;
  }
  std::lock_guard<std::mutex> db_lock(impl_->db_mutex);
  auto loaded = impl_->load(subject);
  if (!loaded.ok()) return loaded.status();
  auto snapshot = std::make_shared<const std::vector<ConsentRecord>>(std::move(*loaded));
  std::unique_lock<std::shared_mutex> lock(impl_->cache_mutex);
  if (impl_->cache.size() >= impl_->options.cache_subjects) impl_->cache.clear();
  impl_->cache[key] = snapshot;
  return std::shared_ptr<const std::vector<ConsentRecord>>(snapshot);
}

void ConsentStore::refresh() {
  std::unique_lock<std::shared_mutex> lock(impl_->cache_mutex);
  impl_->cache.clear();
}

}  // namespace custos
