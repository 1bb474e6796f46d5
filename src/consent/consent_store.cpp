// ConsentStore: append-only consent history in SQLite, with a per-subject
// cache for the decision hot path.
//
// open() trusts nothing in the file: it checks the application id, the
// schema version and every schema object against the ones Custos creates,
// and refuses (kCorruption) a store that differs, rather than repairing it
// (a dropped trigger re-created in silence would hide an edit). Only a new,
// empty file gets the schema, inside one write transaction, so processes
// that create the same store at once all succeed. Every record read is
// checked too: a row Custos could not have written is kCorruption, and the
// engine then fails closed.
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "custos/consent.hpp"
#include "custos/limits.hpp"

namespace custos {
namespace {

// Marks a SQLite file as a Custos consent store ('CUSC').
constexpr int kApplicationId = 0x43555343;
// Version 1: consent records. Version 2: and consent signals.
constexpr int kSchemaVersion = 2;
// How long a connection waits for another one's lock (set-up included).
constexpr int kBusyTimeoutMs = 5000;

// The schema of version 1. Never edit this text: open() compares a store's
// schema with what this creates (see expected_schema), so stores written by
// earlier builds must still match.
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

// What version 2 adds. Never edit this text either.
constexpr const char* kSignalsSchema = R"sql(
CREATE TABLE IF NOT EXISTS consent_signals (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  subject  TEXT NOT NULL,
  kind     TEXT NOT NULL CHECK (kind IN ('tcf', 'gpc')),
  value    TEXT NOT NULL CHECK (kind = 'tcf' OR value IN ('on', 'off')),
  at       INTEGER NOT NULL,
  source   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS consent_signals_subject ON consent_signals (subject, seq);
CREATE TRIGGER IF NOT EXISTS consent_signals_no_update BEFORE UPDATE ON consent_signals
BEGIN SELECT RAISE(ABORT, 'consent history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS consent_signals_no_delete BEFORE DELETE ON consent_signals
BEGIN SELECT RAISE(ABORT, 'consent history is append-only'); END;
)sql";

constexpr const char* kLoadSignalsSql =
    "SELECT seq, kind, value, at, source FROM consent_signals WHERE subject = ?1 ORDER BY seq";
constexpr const char* kInsertSignalSql =
    "INSERT INTO consent_signals (subject, kind, value, at, source) VALUES (?1, ?2, ?3, ?4, ?5)";

constexpr const char* kLoadSql =
    "SELECT seq, purpose, state, at, expires, source FROM consent_records "
    "WHERE subject = ?1 ORDER BY seq";
constexpr const char* kInsertSql =
    "INSERT INTO consent_records (subject, purpose, state, at, expires, source) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

struct Statement {
  sqlite3_stmt* stmt = nullptr;
  ~Statement() { sqlite3_finalize(stmt); }
};

struct Connection {
  sqlite3* db = nullptr;
  ~Connection() { sqlite3_close_v2(db); }
};

// Resets a cached statement when it goes out of use, so its read
// transaction ends and its bindings (which may point at caller memory) go.
struct ResetOnExit {
  sqlite3_stmt* stmt;
  ~ResetOnExit() {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
};

// The objects of sqlite_schema ("table consent_records") and their SQL, in
// the order SQLite created them (a table before its index and triggers).
using Schema = std::vector<std::pair<std::string, std::string>>;

// Reads sqlite_schema in creation order; the SQLite result code.
int read_schema(sqlite3* db, Schema* out) {
  Statement s;
  int rc = sqlite3_prepare_v2(db, "SELECT type, name, sql FROM sqlite_schema ORDER BY rowid", -1,
                              &s.stmt, nullptr);
  if (rc != SQLITE_OK) return rc;
  out->clear();
  const auto text = [&](int column) {
    const auto* t = sqlite3_column_text(s.stmt, column);
    return std::string(t ? reinterpret_cast<const char*>(t) : "");
  };
  while ((rc = sqlite3_step(s.stmt)) == SQLITE_ROW) {
    out->emplace_back(text(0) + " " + text(1), text(2));
  }
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

// What the schema of `version` creates, read back from an in-memory
// database, so the comparison sees the SQL exactly as SQLite stores it.
Result<Schema> expected_schema(int version) {
  Connection memory;
  if (sqlite3_open_v2(":memory:", &memory.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK ||
      sqlite3_exec(memory.db, kSchema, nullptr, nullptr, nullptr) != SQLITE_OK ||
      (version >= 2 &&
       sqlite3_exec(memory.db, kSignalsSchema, nullptr, nullptr, nullptr) != SQLITE_OK)) {
    return Status(StatusCode::kInternal, "cannot build the consent store schema");
  }
  Schema schema;
  if (read_schema(memory.db, &schema) != SQLITE_OK) {
    return Status(StatusCode::kInternal, "cannot read the consent store schema");
  }
  return schema;
}

// What open() learns about a file before trusting it.
struct Header {
  int application_id = 0;
  int user_version = 0;
  Schema schema;
};

// Reads the header fields and the schema, in one read transaction (so a
// set-up committed meanwhile is seen whole or not at all); the SQLite result
// code on failure.
int read_header(sqlite3* db, Header* out) {
  if (sqlite3_get_autocommit(db)) {
    int rc = sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return rc;
    rc = read_header(db, out);
    if (rc != SQLITE_OK) {
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      return rc;
    }
    return sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  Statement s;
  int rc = sqlite3_prepare_v2(db,
                              "SELECT (SELECT application_id FROM pragma_application_id), "
                              "(SELECT user_version FROM pragma_user_version)",
                              -1, &s.stmt, nullptr);
  if (rc != SQLITE_OK) return rc;
  rc = sqlite3_step(s.stmt);
  if (rc != SQLITE_ROW) return rc;
  out->application_id = sqlite3_column_int(s.stmt, 0);
  out->user_version = sqlite3_column_int(s.stmt, 1);
  return read_schema(db, &out->schema);
}

bool is_new_file(const Header& h) {
  return h.application_id == 0 && h.user_version == 0 && h.schema.empty();
}

// The schemas of versions 1 and 2, as SQLite keeps them.
struct ExpectedSchemas {
  Schema v1, v2;
};

// Empty when the file is a consent store of version 1 or 2, else why not.
std::string check_header(const Header& h, const ExpectedSchemas& schemas) {
  char hex[16];
  if (h.application_id != kApplicationId) {
    std::snprintf(hex, sizeof hex, "0x%08x", static_cast<unsigned>(h.application_id));
    return std::string("not a consent store (its application_id is ") + hex + ", not 0x43555343)";
  }
  if (h.user_version != 1 && h.user_version != kSchemaVersion) {
    return "a consent store of schema version " + std::to_string(h.user_version) +
           ", which this version of Custos does not read (it reads versions 1 and " +
           std::to_string(kSchemaVersion) + ")";
  }
  const Schema& expected = h.user_version == 1 ? schemas.v1 : schemas.v2;
  const auto find = [](const Schema& schema, const std::string& object) {
    return std::find_if(schema.begin(), schema.end(),
                        [&](const auto& entry) { return entry.first == object; });
  };
  for (const auto& [object, sql] : expected) {
    const auto it = find(h.schema, object);
    if (it == h.schema.end()) return "damaged consent store: the " + object + " is missing";
    if (it->second != sql) {
      return "damaged consent store: the " + object + " differs from the one Custos creates";
    }
  }
  for (const auto& [object, sql] : h.schema) {
    if (find(expected, object) == expected.end()) {
      return "damaged consent store: an unexpected " + object;
    }
  }
  return "";
}

// Is the file a SQLite database in WAL mode? (Header bytes 18 and 19 are 2.)
bool file_is_wal(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  unsigned char header[20] = {};
  const bool read = std::fread(header, 1, sizeof header, f) == sizeof header;
  std::fclose(f);
  return read && header[18] == 2 && header[19] == 2;
}

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// One attempt at setting up a new, empty file: WAL, then in one write
// transaction the header fields and the schema, unless another connection
// did it first. Returns the SQLite code; *failure says what went wrong.
int set_up(sqlite3* db, std::string* failure) {
  const auto exec = [&](const char* sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
    if (rc != SQLITE_OK) *failure = message ? message : sqlite3_errmsg(db);
    sqlite3_free(message);
    return rc;
  };
  int rc = exec("PRAGMA journal_mode=WAL");
  if (rc != SQLITE_OK) return rc;
  rc = exec("BEGIN IMMEDIATE");
  if (rc != SQLITE_OK) return rc;
  Header header;
  rc = read_header(db, &header);
  if (rc != SQLITE_OK) {
    *failure = sqlite3_errmsg(db);
  } else if (is_new_file(header)) {
    const std::string setup = "PRAGMA application_id=" + std::to_string(kApplicationId) +
                              "; PRAGMA user_version=" + std::to_string(kSchemaVersion) + ";" +
                              kSchema + kSignalsSchema;
    rc = exec(setup.c_str());
  }
  if (rc == SQLITE_OK) rc = exec("COMMIT");
  if (rc != SQLITE_OK) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  return rc;
}

// Adds the signals table to a store of version 1, in one write transaction
// that looks at the file again first: a process that upgraded it meanwhile
// is seen, and a store that is not exactly version 1 is left alone (open()
// then refuses it). Returns the SQLite code; *failure says what went wrong.
int upgrade(sqlite3* db, const ExpectedSchemas& schemas, std::string* failure) {
  const auto exec = [&](const char* sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
    if (rc != SQLITE_OK) *failure = message ? message : sqlite3_errmsg(db);
    sqlite3_free(message);
    return rc;
  };
  int rc = exec("BEGIN IMMEDIATE");
  if (rc != SQLITE_OK) return rc;
  Header header;
  rc = read_header(db, &header);
  if (rc != SQLITE_OK) {
    *failure = sqlite3_errmsg(db);
  } else if (header.user_version == 1 && check_header(header, schemas).empty()) {
    const std::string sql =
        std::string(kSignalsSchema) + "PRAGMA user_version=" + std::to_string(kSchemaVersion) + ";";
    rc = exec(sql.c_str());
  }
  if (rc == SQLITE_OK) rc = exec("COMMIT");
  if (rc != SQLITE_OK) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  return rc;
}

bool text_column(sqlite3_stmt* s, int column, std::string* out) {
  if (sqlite3_column_type(s, column) != SQLITE_TEXT) return false;
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, column));
  *out = std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(s, column)));
  return true;
}

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

namespace {

// Subject ids are mostly decimal integers, and a guarded scan visits them in
// table order. Hashing such an id to its value keeps neighbouring subjects
// in neighbouring buckets, so a scan of a million customers walks the cache
// in order instead of missing it on every row; other ids hash as strings.
// Transparent: lookups take a string_view without building a string.
struct SubjectHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const {
    if (!s.empty() && s.size() <= 18 && (s.size() == 1 || s[0] != '0')) {
      std::size_t value = 0;
      bool digits = true;
      for (char c : s) {
        if (c < '0' || c > '9') {
          digits = false;
          break;
        }
        value = value * 10 + static_cast<std::size_t>(c - '0');
      }
      if (digits) return value;
    }
    return std::hash<std::string_view>{}(s);
  }
};

// One subject's cached history: both snapshots are loaded together.
struct CachedSubject {
  std::shared_ptr<const std::vector<ConsentRecord>> records;
  std::shared_ptr<const SignalHistory> signals;
};

SignalHistory::Entry decoded(const ConsentSignal& signal) {
  SignalHistory::Entry e{signal, std::nullopt, {}};
  if (signal.kind == SignalKind::kTcf) {
    auto tc = decode_tc_string(signal.tc_string);
    if (tc.ok()) {
      e.tc = std::move(*tc);
    } else {
      e.tc_error = tc.status().message();
    }
  }
  return e;
}

}  // namespace

struct CUSTOS_NO_EXPORT ConsentStore::Impl {
  sqlite3* db = nullptr;
  std::string path;
  ConsentOptions options;
  // Why writes are refused, when they are: asked for read-only, or the file
  // could only be opened read-only.
  std::string read_only_reason;
  // Prepared once; used only under db_mutex.
  sqlite3_stmt* load_stmt = nullptr;
  sqlite3_stmt* insert_stmt = nullptr;
  // Null for a version 1 store opened read-only: it has no signals.
  sqlite3_stmt* load_signals_stmt = nullptr;
  sqlite3_stmt* insert_signal_stmt = nullptr;
  // Serialises use of the connection and its statements, and makes "read
  // from the file, then fill the cache" atomic with respect to "append,
  // then update the cache".
  mutable std::mutex db_mutex;
  mutable std::shared_mutex cache_mutex;
  mutable std::unordered_map<std::string, CachedSubject, SubjectHash, std::equal_to<>> cache;
  // Shared by every cached subject without records or signals (most of them).
  const std::shared_ptr<const std::vector<ConsentRecord>> no_records =
      std::make_shared<const std::vector<ConsentRecord>>();
  const std::shared_ptr<const SignalHistory> no_signals = std::make_shared<const SignalHistory>();

  ~Impl() {
    sqlite3_finalize(load_stmt);
    sqlite3_finalize(insert_stmt);
    sqlite3_finalize(load_signals_stmt);
    sqlite3_finalize(insert_signal_stmt);
    sqlite3_close_v2(db);
  }

  Status error(const char* what) const {
    return Status(StatusCode::kIoError, path + ": " + what + ": " + sqlite3_errmsg(db));
  }

  Status damaged(std::int64_t seq, const std::string& why) const {
    return Status(StatusCode::kCorruption,
                  path + ": damaged consent store: record " + std::to_string(seq) + " " + why);
  }

  // Opens the file and checks it is a consent store, setting a new empty
  // file up (or a version 1 store upgraded) when `writable`. *rc: the
  // SQLite result code of a failure, so open() can tell SQLite's refusal to
  // write from a damaged file.
  static Result<std::unique_ptr<Impl>> connect(const std::string& path,
                                               const ConsentOptions& options, bool writable,
                                               const ExpectedSchemas& expected, int* rc);

  // REQUIRES: db_mutex held.
  Result<std::vector<ConsentSignal>> load_signals(std::string_view subject) const {
    std::vector<ConsentSignal> out;
    if (!load_signals_stmt) return out;  // a version 1 store
    const ResetOnExit reset{load_signals_stmt};
    sqlite3_stmt* s = load_signals_stmt;
    sqlite3_bind_text(s, 1, subject.data(), static_cast<int>(subject.size()), SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      const std::int64_t seq = sqlite3_column_int64(s, 0);
      const auto bad = [&](const std::string& why) {
        return Status(StatusCode::kCorruption,
                      path + ": damaged consent store: signal " + std::to_string(seq) + " " + why);
      };
      ConsentSignal signal;
      std::string kind, value;
      if (!text_column(s, 1, &kind) || (kind != "tcf" && kind != "gpc")) {
        return bad("is neither a TC string nor a GPC signal");
      }
      if (!text_column(s, 2, &value)) return bad("has no value");
      if (kind == "tcf") {
        if (value.empty() || value.size() > limits::kMaxTcStringBytes) {
          return bad("has no valid TC string");
        }
        signal.kind = SignalKind::kTcf;
        signal.tc_string = std::move(value);
      } else {
        if (value != "on" && value != "off") return bad("is a GPC signal neither on nor off");
        signal.kind = SignalKind::kGpc;
        signal.gpc = value == "on";
      }
      if (sqlite3_column_type(s, 3) != SQLITE_INTEGER) {
        return bad("has a time that is not an integer");
      }
      signal.at = sqlite3_column_int64(s, 3);
      if (!text_column(s, 4, &signal.source) ||
          signal.source.size() > limits::kMaxConsentFieldBytes) {
        return bad("has no valid source");
      }
      out.push_back(std::move(signal));
    }
    if (rc != SQLITE_DONE) return error("cannot read consent signals");
    return out;
  }

  // The subject's cached snapshots, loaded (both at once) on a miss.
  Result<CachedSubject> cached(std::string_view subject) const {
    {
      std::shared_lock<std::shared_mutex> lock(cache_mutex);
      const auto it = cache.find(subject);
      if (it != cache.end()) return it->second;
    }
    std::lock_guard<std::mutex> db_lock(db_mutex);
    auto records = load(subject);
    if (!records.ok()) return records.status();
    auto signals = load_signals(subject);
    if (!signals.ok()) return signals.status();
    CachedSubject entry{no_records, no_signals};
    if (!records->empty()) {
      entry.records = std::make_shared<const std::vector<ConsentRecord>>(std::move(*records));
    }
    if (!signals->empty()) {
      auto history = std::make_shared<SignalHistory>();
      history->entries.reserve(signals->size());
      for (const auto& signal : *signals) history->entries.push_back(decoded(signal));
      entry.signals = std::move(history);
    }
    std::unique_lock<std::shared_mutex> lock(cache_mutex);
    if (cache.size() >= options.cache_subjects) cache.clear();
    cache[std::string(subject)] = entry;
    return entry;
  }

  // REQUIRES: db_mutex held.
  Result<std::vector<ConsentRecord>> load(std::string_view subject) const {
    const ResetOnExit reset{load_stmt};
    sqlite3_bind_text(load_stmt, 1, subject.data(), static_cast<int>(subject.size()),
                      SQLITE_STATIC);
    std::vector<ConsentRecord> out;
    int rc;
    while ((rc = sqlite3_step(load_stmt)) == SQLITE_ROW) {
      // Every field as append() writes it; anything else was written by
      // someone else.
      const std::int64_t seq = sqlite3_column_int64(load_stmt, 0);
      ConsentRecord r;
      std::string state;
      if (!text_column(load_stmt, 1, &r.purpose) || r.purpose.empty() ||
          r.purpose.size() > limits::kMaxConsentFieldBytes) {
        return damaged(seq, "has no valid purpose");
      }
      if (!text_column(load_stmt, 2, &state) || !parse_consent_state(state, &r.state)) {
        return damaged(seq, "has a state that is not granted, withdrawn or objected");
      }
      if (sqlite3_column_type(load_stmt, 3) != SQLITE_INTEGER) {
        return damaged(seq, "has a time that is not an integer");
      }
      r.at = sqlite3_column_int64(load_stmt, 3);
      const int expires_type = sqlite3_column_type(load_stmt, 4);
      if (expires_type == SQLITE_INTEGER) {
        if (r.state != ConsentState::kGranted) return damaged(seq, "expires but is no grant");
        r.expires = sqlite3_column_int64(load_stmt, 4);
      } else if (expires_type != SQLITE_NULL) {
        return damaged(seq, "has an expiry that is not an integer");
      }
      if (!text_column(load_stmt, 5, &r.source) ||
          r.source.size() > limits::kMaxConsentFieldBytes) {
        return damaged(seq, "has no valid source");
      }
      out.push_back(std::move(r));
    }
    if (rc != SQLITE_DONE) return error("cannot read consent records");
    return out;
  }
};

Result<std::unique_ptr<ConsentStore::Impl>> ConsentStore::Impl::connect(
    const std::string& path, const ConsentOptions& options, bool writable,
    const ExpectedSchemas& expected, int* rc) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->options = options;
  const int flags = (writable ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY) |
                    SQLITE_OPEN_NOMUTEX;
  *rc = sqlite3_open_v2(path.c_str(), &impl->db, flags, nullptr);
  const auto sqlite_error = [&](const char* what) {
    return Status(
        StatusCode::kIoError,
        path + ": " + what + ": " + (impl->db ? sqlite3_errmsg(impl->db) : "out of memory"));
  };
  if (*rc != SQLITE_OK) return sqlite_error("cannot open consent store");
  sqlite3_busy_timeout(impl->db, kBusyTimeoutMs);

  Header header;
  *rc = read_header(impl->db, &header);
  if (*rc == SQLITE_NOTADB) {
    return Status(StatusCode::kCorruption, path + ": not a consent store (not a SQLite database)");
  }
  if (*rc != SQLITE_OK) return sqlite_error("cannot read consent store");
  // SQLite opens a write-protected file read-only without saying so.
  if (writable && sqlite3_db_readonly(impl->db, "main") == 1) {
    *rc = SQLITE_READONLY;
    return Status(StatusCode::kIoError, path + ": the file is not writable");
  }

  if (is_new_file(header)) {
    if (!writable) {
      return Status(StatusCode::kCorruption,
                    path +
                        ": an empty file, not a consent store yet (open it once for writing "
                        "to create the store)");
    }
    // WAL first: the journal mode cannot change inside a transaction. Then
    // the set-up in one write transaction; BEGIN IMMEDIATE waits (busy
    // timeout) for a process doing the same, and the file is looked at
    // again inside it: whoever comes second finds the schema and keeps it.
    // Switching to WAL takes an exclusive lock that SQLite does not wait
    // for, so a set-up that meets a lock starts over until the busy
    // timeout has passed.
    std::string failure;
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
    while (true) {
      *rc = set_up(impl->db, &failure);
      const bool locked = *rc == SQLITE_BUSY || *rc == SQLITE_LOCKED;
      if (!locked || std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (*rc != SQLITE_OK) {
      return Status(StatusCode::kIoError, path + ": cannot set up consent store: " + failure);
    }
    *rc = read_header(impl->db, &header);
    if (*rc != SQLITE_OK) return sqlite_error("cannot read consent store");
  }
  if (const std::string why = check_header(header, expected); !why.empty()) {
    return Status(StatusCode::kCorruption, path + ": " + why);
  }
  if (writable && header.user_version == 1) {
    std::string failure;
    *rc = upgrade(impl->db, expected, &failure);
    if (*rc != SQLITE_OK) {
      return Status(StatusCode::kIoError,
                    path + ": cannot upgrade consent store to version 2: " + failure);
    }
    *rc = read_header(impl->db, &header);
    if (*rc != SQLITE_OK) return sqlite_error("cannot read consent store");
    if (const std::string why = check_header(header, expected); !why.empty()) {
      return Status(StatusCode::kCorruption, path + ": " + why);
    }
  }
  const auto prepare = [&](const char* sql, sqlite3_stmt** stmt) {
    return sqlite3_prepare_v3(impl->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, nullptr) ==
           SQLITE_OK;
  };
  const bool signals = header.user_version >= 2;
  if (!prepare(kLoadSql, &impl->load_stmt) ||
      (signals && !prepare(kLoadSignalsSql, &impl->load_signals_stmt)) ||
      (writable && !prepare(kInsertSql, &impl->insert_stmt)) ||
      (writable && signals && !prepare(kInsertSignalSql, &impl->insert_signal_stmt))) {
    *rc = sqlite3_errcode(impl->db);
    return sqlite_error("cannot prepare consent store statements");
  }
  *rc = SQLITE_OK;
  return impl;
}

ConsentStore::ConsentStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ConsentStore::~ConsentStore() = default;

Result<std::unique_ptr<ConsentStore>> ConsentStore::open(const std::string& path,
                                                         ConsentOptions options) {
  auto v1 = expected_schema(1);
  if (!v1.ok()) return v1.status();
  auto v2 = expected_schema(2);
  if (!v2.ok()) return v2.status();
  const ExpectedSchemas schemas{std::move(*v1), std::move(*v2)};
  const ExpectedSchemas* expected = &schemas;
  int rc = SQLITE_OK;
  auto impl = Impl::connect(path, options, !options.read_only, *expected, &rc);
  if (impl.ok()) {
    if (options.read_only) (*impl)->read_only_reason = "opened read-only";
    return std::unique_ptr<ConsentStore>(new ConsentStore(std::move(*impl)));
  }
  // Only SQLite's refusal to write (not a damaged or foreign file) is worth
  // a second try, and only for an existing file: read-only, then.
  struct stat st;
  const bool exists = ::stat(path.c_str(), &st) == 0;
  const bool refused = rc == SQLITE_READONLY || rc == SQLITE_CANTOPEN || rc == SQLITE_PERM;
  if (!refused || !exists) return impl.status();
  if (!options.read_only) {
    auto read_only = Impl::connect(path, options, false, *expected, &rc);
    if (read_only.ok()) {
      (*read_only)->read_only_reason =
          ::access(path.c_str(), W_OK) != 0
              ? "opened read-only: the file is not writable"
              : "opened read-only: its directory is not writable, so SQLite cannot write the "
                "store's -wal and -shm files";
      return std::unique_ptr<ConsentStore>(new ConsentStore(std::move(*read_only)));
    }
    if (rc != SQLITE_READONLY && rc != SQLITE_CANTOPEN && rc != SQLITE_PERM) {
      return read_only.status();
    }
  }
  // Even read-only SQLite cannot open it: say why, when the cause is known.
  const std::string dir = directory_of(path);
  if (::access(dir.c_str(), W_OK) != 0 && file_is_wal(path)) {
    return Status(StatusCode::kIoError,
                  path + ": cannot open consent store: its directory " + dir +
                      " is not writable, and SQLite must create the -wal and -shm files of a "
                      "store in WAL mode there, even to read it");
  }
  if (::access(path.c_str(), R_OK) != 0) {
    return Status(StatusCode::kIoError,
                  path + ": cannot open consent store: the file is not readable");
  }
  return impl.status();
}

Status ConsentStore::append(std::string_view subject, const ConsentRecord& record) {
  constexpr std::size_t kMax = limits::kMaxConsentFieldBytes;
  if (subject.empty() || subject.size() > kMax) {
    return Status(StatusCode::kInvalidArgument,
                  "a consent record needs a subject (1 to " + std::to_string(kMax) + " bytes)");
  }
  if (record.purpose.empty() || record.purpose.size() > kMax) {
    return Status(StatusCode::kInvalidArgument,
                  "a consent record needs a purpose (1 to " + std::to_string(kMax) + " bytes)");
  }
  if (record.source.size() > kMax) {
    return Status(StatusCode::kInvalidArgument,
                  "a consent record's source is longer than " + std::to_string(kMax) + " bytes");
  }
  if (record.expires && record.state != ConsentState::kGranted) {
    return Status(StatusCode::kInvalidArgument, "only a grant can expire");
  }
  if (!impl_->insert_stmt) {
    return Status(StatusCode::kInvalidArgument,
                  impl_->path + ": " + impl_->read_only_reason + "; nothing was recorded");
  }
  std::lock_guard<std::mutex> db_lock(impl_->db_mutex);
  sqlite3_stmt* s = impl_->insert_stmt;
  const ResetOnExit reset{s};
  sqlite3_bind_text(s, 1, subject.data(), static_cast<int>(subject.size()), SQLITE_STATIC);
  sqlite3_bind_text(s, 2, record.purpose.data(), static_cast<int>(record.purpose.size()),
                    SQLITE_STATIC);
  sqlite3_bind_text(s, 3, consent_state_name(record.state), -1, SQLITE_STATIC);
  sqlite3_bind_int64(s, 4, record.at);
  if (record.expires) {
    sqlite3_bind_int64(s, 5, *record.expires);
  } else {
    sqlite3_bind_null(s, 5);
  }
  sqlite3_bind_text(s, 6, record.source.data(), static_cast<int>(record.source.size()),
                    SQLITE_STATIC);
  if (sqlite3_step(s) != SQLITE_DONE) return impl_->error("cannot append consent record");
  // Keep the cache coherent: replace this subject's snapshot, if cached.
  std::unique_lock<std::shared_mutex> cache_lock(impl_->cache_mutex);
  const auto it = impl_->cache.find(subject);
  if (it != impl_->cache.end()) {
    auto updated = std::make_shared<std::vector<ConsentRecord>>(*it->second.records);
    updated->push_back(record);
    it->second.records = std::move(updated);
  }
  return Status();
}

Status ConsentStore::append_signal(std::string_view subject, const ConsentSignal& signal) {
  constexpr std::size_t kMax = limits::kMaxConsentFieldBytes;
  if (subject.empty() || subject.size() > kMax) {
    return Status(StatusCode::kInvalidArgument,
                  "a consent signal needs a subject (1 to " + std::to_string(kMax) + " bytes)");
  }
  if (signal.kind == SignalKind::kTcf &&
      (signal.tc_string.empty() || signal.tc_string.size() > limits::kMaxTcStringBytes)) {
    return Status(StatusCode::kInvalidArgument, "a TC string signal needs a TC string (1 to " +
                                                    std::to_string(limits::kMaxTcStringBytes) +
                                                    " bytes)");
  }
  if (signal.source.size() > kMax) {
    return Status(StatusCode::kInvalidArgument,
                  "a consent signal's source is longer than " + std::to_string(kMax) + " bytes");
  }
  if (!impl_->insert_signal_stmt) {
    return Status(StatusCode::kInvalidArgument,
                  impl_->path + ": " + impl_->read_only_reason + "; nothing was recorded");
  }
  // Decoded before the lock, so the cache update below costs no decoding.
  SignalHistory::Entry entry = decoded(signal);
  std::lock_guard<std::mutex> db_lock(impl_->db_mutex);
  sqlite3_stmt* s = impl_->insert_signal_stmt;
  const ResetOnExit reset{s};
  const bool tcf = signal.kind == SignalKind::kTcf;
  sqlite3_bind_text(s, 1, subject.data(), static_cast<int>(subject.size()), SQLITE_STATIC);
  sqlite3_bind_text(s, 2, tcf ? "tcf" : "gpc", -1, SQLITE_STATIC);
  if (tcf) {
    sqlite3_bind_text(s, 3, signal.tc_string.data(), static_cast<int>(signal.tc_string.size()),
                      SQLITE_STATIC);
  } else {
    sqlite3_bind_text(s, 3, signal.gpc ? "on" : "off", -1, SQLITE_STATIC);
  }
  sqlite3_bind_int64(s, 4, signal.at);
  sqlite3_bind_text(s, 5, signal.source.data(), static_cast<int>(signal.source.size()),
                    SQLITE_STATIC);
  if (sqlite3_step(s) != SQLITE_DONE) return impl_->error("cannot append consent signal");
  std::unique_lock<std::shared_mutex> cache_lock(impl_->cache_mutex);
  const auto it = impl_->cache.find(subject);
  if (it != impl_->cache.end()) {
    auto updated = std::make_shared<SignalHistory>(*it->second.signals);
    updated->entries.push_back(std::move(entry));
    it->second.signals = std::move(updated);
  }
  return Status();
}

Status ConsentStore::signal_tcf(std::string_view subject, std::string_view tc_string, Timestamp at,
                                std::string_view source) {
  return append_signal(subject, ConsentSignal{SignalKind::kTcf, std::string(tc_string), false, at,
                                              std::string(source)});
}

Status ConsentStore::signal_gpc(std::string_view subject, bool on, Timestamp at,
                                std::string_view source) {
  return append_signal(subject,
                       ConsentSignal{SignalKind::kGpc, std::string(), on, at, std::string(source)});
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
  {
    std::shared_lock<std::shared_mutex> lock(impl_->cache_mutex);
    const auto it = impl_->cache.find(subject);
    if (it != impl_->cache.end()) return it->second.records;
  }
  auto entry = impl_->cached(subject);
  if (!entry.ok()) return entry.status();
  return std::move(entry->records);
}

Result<std::vector<ConsentSignal>> ConsentStore::signal_history(std::string_view subject) const {
  std::lock_guard<std::mutex> db_lock(impl_->db_mutex);
  return impl_->load_signals(subject);
}

Result<std::shared_ptr<const SignalHistory>> ConsentStore::signals(std::string_view subject) const {
  {
    std::shared_lock<std::shared_mutex> lock(impl_->cache_mutex);
    const auto it = impl_->cache.find(subject);
    if (it != impl_->cache.end()) return it->second.signals;
  }
  auto entry = impl_->cached(subject);
  if (!entry.ok()) return entry.status();
  return std::move(entry->signals);
}

void ConsentStore::refresh() {
  std::unique_lock<std::shared_mutex> lock(impl_->cache_mutex);
  impl_->cache.clear();
}

}  // namespace custos
