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
//
// The chain (schema version 3; src/consent/FORMAT.md specifies it for an
// independent verifier). The triggers only stop accidental edits: whoever
// can write the file can drop them. What protects the history is a hash
// chain, as in the audit log:
// - One chain over both tables, in the order rows were appended: each row
//   has a chain position `pos` (1, 2, 3, ... over records and signals
//   together) and `hash` = F(hash of the row at pos - 1 || C(row)), where
//   C is the row's canonical serialization (netstrings of its type, pos,
//   seq, subject and every field) and F is HMAC-SHA256 under
//   ConsentOptions::chain_key, or SHA-256 without one (consent_meta says
//   which; a store is reopened the same way or refused).
// - A second chain per subject: `subject_hash` = F(the subject's previous
//   row's subject_hash || C(row)). A cache miss recomputes only that
//   subject's links (one hash per row of theirs), so the hot path stays
//   cheap, and still catches any change, removal, insertion or move among
//   the subject's rows.
// - Heads: consent_heads holds, for each subject and for the whole chain
//   (subject ''), the count, the last row's pos, table and seq, its hash,
//   and a seal F("custos-consent-head-v1" ...) over them. A removed tail
//   (the subject's latest withdrawal deleted) leaves the earlier links
//   intact; the head's seal then no longer matches and names the missing
//   row. (Heads are rewritten on every append; the seal is what an editor
//   without the key cannot forge.)
// - Appends run in one BEGIN IMMEDIATE transaction: read the two heads,
//   insert the row with its explicit seq (max + 1), pos and hashes, write
//   the two heads.
// - Reads: history(), records(), signals() check the subject's chain and
//   head after the fields; a mismatch is kCorruption "STORE: damaged consent
//   store: record seq N: ...", and the engine then decides as if the
//   subject had no records (fail closed; see src/engine/evaluator.inl for
//   legitimate interest). verify() walks the whole chain in pos order.
// - What only verify() catches: another subject's rows, and a subject whose
//   rows and head were all removed (their read shows no history, like a
//   subject never seen; the global chain breaks at the next row).
// - Stores of versions 1 and 2 are upgraded on a writable open, in one
//   transaction: existing rows are chained as they are (records by seq,
//   then signals by seq). Read-only, they are read unchecked, and verify()
//   reports them unchained. ConsentOptions::require_chain refuses them.
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <utility>
#include <vector>

#include "consent/cache_access.hpp"
#include "consent/subject_cache.hpp"
#include "crypto/crypto.hpp"
#include "custos/consent.hpp"
#include "custos/limits.hpp"

namespace custos {
namespace {

// Marks a SQLite file as a Custos consent store ('CUSC').
constexpr int kApplicationId = 0x43555343;
// Version 1: consent records. Version 2: and consent signals. Version 3:
// both chained.
constexpr int kSchemaVersion = 3;
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

// What version 3 adds: the chain (see the top of this file). Never edit
// this text either. Upgrading and creating run the same statements, so an
// upgraded store's schema is exactly a new one's.
constexpr const char* kChainSchema = R"sql(
ALTER TABLE consent_records ADD COLUMN pos INTEGER;
ALTER TABLE consent_records ADD COLUMN hash BLOB;
ALTER TABLE consent_records ADD COLUMN subject_hash BLOB;
ALTER TABLE consent_signals ADD COLUMN pos INTEGER;
ALTER TABLE consent_signals ADD COLUMN hash BLOB;
ALTER TABLE consent_signals ADD COLUMN subject_hash BLOB;
CREATE TABLE consent_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE consent_heads (
  subject TEXT PRIMARY KEY,
  count   INTEGER NOT NULL,
  pos     INTEGER NOT NULL,
  kind    TEXT NOT NULL,
  seq     INTEGER NOT NULL,
  hash    BLOB NOT NULL,
  seal    BLOB NOT NULL
) WITHOUT ROWID;
)sql";

// Version 1 and 2 stores (read-only, unchained): the fields only.
constexpr const char* kLoadSignalsSql =
    "SELECT seq, kind, value, at, source FROM consent_signals WHERE subject = ?1 ORDER BY seq";
constexpr const char* kLoadSql =
    "SELECT seq, purpose, state, at, expires, source FROM consent_records "
    "WHERE subject = ?1 ORDER BY seq";
// Version 3: and the subject chain's columns.
constexpr const char* kLoadChainedSignalsSql =
    "SELECT seq, kind, value, at, source, pos, subject_hash FROM consent_signals "
    "WHERE subject = ?1 ORDER BY seq";
constexpr const char* kLoadChainedSql =
    "SELECT seq, purpose, state, at, expires, source, pos, subject_hash FROM consent_records "
    "WHERE subject = ?1 ORDER BY seq";
constexpr const char* kLoadHeadSql =
    "SELECT count, pos, kind, seq, hash, seal FROM consent_heads WHERE subject = ?1";
constexpr const char* kPutHeadSql =
    "INSERT OR REPLACE INTO consent_heads (subject, count, pos, kind, seq, hash, seal) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
constexpr const char* kNextSeqSql = "SELECT COALESCE(MAX(seq), 0) + 1 FROM consent_records";
constexpr const char* kNextSignalSeqSql = "SELECT COALESCE(MAX(seq), 0) + 1 FROM consent_signals";
constexpr const char* kInsertSignalSql =
    "INSERT INTO consent_signals (seq, subject, kind, value, at, source, pos, hash, subject_hash) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
constexpr const char* kInsertSql =
    "INSERT INTO consent_records (seq, subject, purpose, state, at, expires, source, pos, hash, "
    "subject_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
// Every row, in chain order (verify(), upgrade()); rows without a position
// (written outside Custos) come first.
constexpr const char* kAllRecordsSql =
    "SELECT seq, purpose, state, at, expires, source, pos, subject_hash, hash, subject "
    "FROM consent_records ORDER BY pos, seq";
constexpr const char* kAllSignalsSql =
    "SELECT seq, kind, value, at, source, pos, subject_hash, hash, subject "
    "FROM consent_signals ORDER BY pos, seq";

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
       sqlite3_exec(memory.db, kSignalsSchema, nullptr, nullptr, nullptr) != SQLITE_OK) ||
      (version >= 3 &&
       sqlite3_exec(memory.db, kChainSchema, nullptr, nullptr, nullptr) != SQLITE_OK)) {
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

// The schemas of versions 1, 2 and 3, as SQLite keeps them.
struct ExpectedSchemas {
  Schema v1, v2, v3;
};

// Empty when the file is a consent store of version 1, 2 or 3, else why not.
std::string check_header(const Header& h, const ExpectedSchemas& schemas) {
  char hex[16];
  if (h.application_id != kApplicationId) {
    std::snprintf(hex, sizeof hex, "0x%08x", static_cast<unsigned>(h.application_id));
    return std::string("not a consent store (its application_id is ") + hex + ", not 0x43555343)";
  }
  if (h.user_version < 1 || h.user_version > kSchemaVersion) {
    return "a consent store of schema version " + std::to_string(h.user_version) +
           ", which this version of Custos does not read (it reads versions 1 to " +
           std::to_string(kSchemaVersion) + ")";
  }
  const Schema& expected = h.user_version == 1   ? schemas.v1
                           : h.user_version == 2 ? schemas.v2
                                                 : schemas.v3;
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
int set_up(sqlite3* db, bool keyed, std::string* failure) {
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
                              kSchema + kSignalsSchema + kChainSchema +
                              "INSERT INTO consent_meta (key, value) VALUES ('chain', '" +
                              (keyed ? "hmac-sha256" : "sha256") + "');";
    rc = exec(setup.c_str());
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

// A record's fields from columns first.. first+4 (purpose, state, at,
// expires, source) as append() writes them: "" when they are, else why not.
std::string read_record(sqlite3_stmt* s, int first, ConsentRecord* r) {
  std::string state;
  if (!text_column(s, first, &r->purpose) || r->purpose.empty() ||
      r->purpose.size() > limits::kMaxConsentFieldBytes) {
    return "has no valid purpose";
  }
  if (!text_column(s, first + 1, &state) || !parse_consent_state(state, &r->state)) {
    return "has a state that is not granted, withdrawn or objected";
  }
  if (sqlite3_column_type(s, first + 2) != SQLITE_INTEGER) {
    return "has a time that is not an integer";
  }
  r->at = sqlite3_column_int64(s, first + 2);
  const int expires_type = sqlite3_column_type(s, first + 3);
  if (expires_type == SQLITE_INTEGER) {
    if (r->state != ConsentState::kGranted) return "expires but is no grant";
    r->expires = sqlite3_column_int64(s, first + 3);
  } else if (expires_type != SQLITE_NULL) {
    return "has an expiry that is not an integer";
  }
  if (!text_column(s, first + 4, &r->source) || r->source.size() > limits::kMaxConsentFieldBytes) {
    return "has no valid source";
  }
  return "";
}

// A signal's fields from columns first.. first+3 (kind, value, at, source).
std::string read_signal(sqlite3_stmt* s, int first, ConsentSignal* signal) {
  std::string kind, value;
  if (!text_column(s, first, &kind) || (kind != "tcf" && kind != "gpc")) {
    return "is neither a TC string nor a GPC signal";
  }
  if (!text_column(s, first + 1, &value)) return "has no value";
  if (kind == "tcf") {
    if (value.empty() || value.size() > limits::kMaxTcStringBytes) {
      return "has no valid TC string";
    }
    signal->kind = SignalKind::kTcf;
    signal->tc_string = std::move(value);
  } else {
    if (value != "on" && value != "off") return "is a GPC signal neither on nor off";
    signal->kind = SignalKind::kGpc;
    signal->gpc = value == "on";
  }
  if (sqlite3_column_type(s, first + 2) != SQLITE_INTEGER) {
    return "has a time that is not an integer";
  }
  signal->at = sqlite3_column_int64(s, first + 2);
  if (!text_column(s, first + 3, &signal->source) ||
      signal->source.size() > limits::kMaxConsentFieldBytes) {
    return "has no valid source";
  }
  return "";
}

using crypto::Digest;

// A chain position (an integer >= 1) from a column.
bool read_pos(sqlite3_stmt* s, int column, std::int64_t* pos) {
  if (sqlite3_column_type(s, column) != SQLITE_INTEGER) return false;
  *pos = sqlite3_column_int64(s, column);
  return *pos >= 1;
}

// A hash (a 32-byte blob) from a column.
bool read_digest(sqlite3_stmt* s, int column, Digest* out) {
  if (sqlite3_column_type(s, column) != SQLITE_BLOB ||
      sqlite3_column_bytes(s, column) != static_cast<int>(out->size())) {
    return false;
  }
  std::memcpy(out->data(), sqlite3_column_blob(s, column), out->size());
  return true;
}

// FORMAT.md, "Canonical rows": netstrings, LEN ":" BYTES ",".
void put(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out.append(field);
  out += ',';
}

std::string canonical_record(std::int64_t pos, std::int64_t seq, std::string_view subject,
                             const ConsentRecord& r) {
  std::string c;
  c.reserve(64 + subject.size() + r.purpose.size() + r.source.size());
  put(c, "record");
  put(c, std::to_string(pos));
  put(c, std::to_string(seq));
  put(c, subject);
  put(c, r.purpose);
  put(c, consent_state_name(r.state));
  put(c, std::to_string(r.at));
  put(c, r.expires ? std::to_string(*r.expires) : std::string());
  put(c, r.source);
  return c;
}

std::string canonical_signal(std::int64_t pos, std::int64_t seq, std::string_view subject,
                             const ConsentSignal& s) {
  std::string c;
  c.reserve(64 + subject.size() + s.tc_string.size() + s.source.size());
  put(c, "signal");
  put(c, std::to_string(pos));
  put(c, std::to_string(seq));
  put(c, subject);
  put(c, s.kind == SignalKind::kTcf ? "tcf" : "gpc");
  put(c, s.kind == SignalKind::kTcf ? std::string_view(s.tc_string)
         : s.gpc                    ? std::string_view("on")
                                    : std::string_view("off"));
  put(c, std::to_string(s.at));
  put(c, s.source);
  return c;
}

// The head of a chain: the whole store's (subject "") or one subject's.
struct Head {
  std::int64_t count = 0;  // rows in the chain
  std::int64_t pos = 0;    // the last row's chain position
  std::string kind;        // its table: "record" or "signal"
  std::int64_t seq = 0;    // and its seq
  Digest hash{};           // and its hash in this chain
  Digest seal{};
};

// The chain's function: HMAC-SHA256 under the store's key, or SHA-256.
class Chain {
 public:
  explicit Chain(const std::string& key) {
    if (!key.empty()) mac_.emplace(key);
  }
  bool keyed() const { return mac_.has_value(); }
  Digest f(std::string_view data) const { return mac_ ? mac_->mac(data) : crypto::sha256(data); }
  // F(previous || canonical).
  Digest link(const Digest& previous, std::string_view canonical) const {
    std::string data;
    data.reserve(previous.size() + canonical.size());
    data.append(reinterpret_cast<const char*>(previous.data()), previous.size());
    data.append(canonical);
    return f(data);
  }
  Digest seal(std::string_view subject, const Head& h) const {
    std::string data;
    put(data, "custos-consent-head-v1");
    put(data, subject);
    put(data, std::to_string(h.count));
    put(data, std::to_string(h.pos));
    put(data, h.kind);
    put(data, std::to_string(h.seq));
    data.append(reinterpret_cast<const char*>(h.hash.data()), h.hash.size());
    return f(data);
  }

 private:
  std::optional<crypto::HmacSha256> mac_;
};

// Reads one head row (kLoadHeadSql's columns); false when it is not one
// Custos writes.
bool read_head(sqlite3_stmt* s, Head* h) {
  if (sqlite3_column_type(s, 0) != SQLITE_INTEGER || sqlite3_column_type(s, 1) != SQLITE_INTEGER ||
      sqlite3_column_type(s, 3) != SQLITE_INTEGER || !text_column(s, 2, &h->kind) ||
      !read_digest(s, 4, &h->hash) || !read_digest(s, 5, &h->seal)) {
    return false;
  }
  h->count = sqlite3_column_int64(s, 0);
  h->pos = sqlite3_column_int64(s, 1);
  h->seq = sqlite3_column_int64(s, 3);
  // Numbers an append can still count on from (no overflow), and a table.
  constexpr std::int64_t kMax = std::int64_t{1} << 62;
  return h->count >= 1 && h->count <= h->pos && h->pos < kMax && h->seq >= 1 && h->seq < kMax &&
         (h->kind == "record" || h->kind == "signal");
}

// Writes a head (kPutHeadSql); the SQLite code.
int put_head(sqlite3_stmt* s, std::string_view subject, const Head& h) {
  const ResetOnExit reset{s};
  sqlite3_bind_text(s, 1, subject.data(), static_cast<int>(subject.size()), SQLITE_STATIC);
  sqlite3_bind_int64(s, 2, h.count);
  sqlite3_bind_int64(s, 3, h.pos);
  sqlite3_bind_text(s, 4, h.kind.data(), static_cast<int>(h.kind.size()), SQLITE_STATIC);
  sqlite3_bind_int64(s, 5, h.seq);
  sqlite3_bind_blob(s, 6, h.hash.data(), static_cast<int>(h.hash.size()), SQLITE_STATIC);
  sqlite3_bind_blob(s, 7, h.seal.data(), static_cast<int>(h.seal.size()), SQLITE_STATIC);
  const int rc = sqlite3_step(s);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

// "record seq 7" / "signal seq 3".
std::string row_name(bool signal, std::int64_t seq) {
  return std::string(signal ? "signal" : "record") + " seq " + std::to_string(seq);
}

// Upgrades a store of version 1 or 2 to version 3, in one write transaction
// that looks at the file again first: a process that upgraded it meanwhile
// is seen, and a store that is not exactly version 1 or 2 is left alone
// (open() then refuses it). Version 1 gets the signals table; then every
// existing row is chained as it is, records by seq, then signals by seq
// (the update triggers are dropped for that and re-created, exactly). A row
// Custos could not have written stops the upgrade: *failure names it, and
// *damaged is set. Returns the SQLite code.
int upgrade(sqlite3* db, const ExpectedSchemas& schemas, const Chain& chain, std::string* failure,
            bool* damaged) {
  const auto exec = [&](const char* sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &message);
    if (rc != SQLITE_OK) *failure = message ? message : sqlite3_errmsg(db);
    sqlite3_free(message);
    return rc;
  };
  int rc = exec("BEGIN IMMEDIATE");
  if (rc != SQLITE_OK) return rc;
  const auto run = [&]() -> int {
    Header header;
    int rc = read_header(db, &header);
    if (rc != SQLITE_OK) {
      *failure = sqlite3_errmsg(db);
      return rc;
    }
    if ((header.user_version != 1 && header.user_version != 2) ||
        !check_header(header, schemas).empty()) {
      return SQLITE_OK;
    }
    const std::string setup =
        std::string(header.user_version == 1 ? kSignalsSchema : "") + kChainSchema +
        "INSERT INTO consent_meta (key, value) VALUES ('chain', '" +
        (chain.keyed() ? "hmac-sha256" : "sha256") +
        "'); DROP TRIGGER consent_records_no_update; DROP TRIGGER consent_signals_no_update;";
    rc = exec(setup.c_str());
    if (rc != SQLITE_OK) return rc;
    // Links first (reading), then the updates (writing).
    struct Link {
      bool signal;
      std::int64_t seq, pos;
      Digest hash, subject_hash;
    };
    std::vector<Link> links;
    std::map<std::string, Head, std::less<>> heads;
    Head global;
    for (const bool signal : {false, true}) {
      Statement s;
      rc = sqlite3_prepare_v2(db, signal ? kAllSignalsSql : kAllRecordsSql, -1, &s.stmt, nullptr);
      if (rc != SQLITE_OK) {
        *failure = sqlite3_errmsg(db);
        return rc;
      }
      while ((rc = sqlite3_step(s.stmt)) == SQLITE_ROW) {
        const std::int64_t seq = sqlite3_column_int64(s.stmt, 0);
        std::string subject;
        ConsentRecord record;
        ConsentSignal sig;
        const std::string why =
            signal ? read_signal(s.stmt, 1, &sig) : read_record(s.stmt, 1, &record);
        const int subject_column = signal ? 8 : 9;
        if (!why.empty() || !text_column(s.stmt, subject_column, &subject) || subject.empty()) {
          *failure = "damaged consent store: " + row_name(signal, seq) + " " +
                     (why.empty() ? "has no valid subject" : why) + "; it cannot be chained";
          *damaged = true;
          return SQLITE_CORRUPT;
        }
        const std::int64_t pos = global.pos + 1;
        const std::string c = signal ? canonical_signal(pos, seq, subject, sig)
                                     : canonical_record(pos, seq, subject, record);
        Head& mine = heads[subject];
        const Digest h = chain.link(global.hash, c);
        const Digest sh = chain.link(mine.hash, c);
        for (Head* head : {&global, &mine}) {
          ++head->count;
          head->pos = pos;
          head->kind = signal ? "signal" : "record";
          head->seq = seq;
        }
        global.hash = h;
        mine.hash = sh;
        links.push_back(Link{signal, seq, pos, h, sh});
      }
      if (rc != SQLITE_DONE) {
        *failure = sqlite3_errmsg(db);
        return rc;
      }
    }
    Statement update_record, update_signal, head;
    if ((rc = sqlite3_prepare_v2(
             db, "UPDATE consent_records SET pos = ?1, hash = ?2, subject_hash = ?3 WHERE seq = ?4",
             -1, &update_record.stmt, nullptr)) != SQLITE_OK ||
        (rc = sqlite3_prepare_v2(
             db, "UPDATE consent_signals SET pos = ?1, hash = ?2, subject_hash = ?3 WHERE seq = ?4",
             -1, &update_signal.stmt, nullptr)) != SQLITE_OK ||
        (rc = sqlite3_prepare_v2(db, kPutHeadSql, -1, &head.stmt, nullptr)) != SQLITE_OK) {
      *failure = sqlite3_errmsg(db);
      return rc;
    }
    for (const Link& l : links) {
      sqlite3_stmt* s = l.signal ? update_signal.stmt : update_record.stmt;
      const ResetOnExit reset{s};
      sqlite3_bind_int64(s, 1, l.pos);
      sqlite3_bind_blob(s, 2, l.hash.data(), static_cast<int>(l.hash.size()), SQLITE_STATIC);
      sqlite3_bind_blob(s, 3, l.subject_hash.data(), static_cast<int>(l.subject_hash.size()),
                        SQLITE_STATIC);
      sqlite3_bind_int64(s, 4, l.seq);
      if ((rc = sqlite3_step(s)) != SQLITE_DONE) {
        *failure = sqlite3_errmsg(db);
        return rc;
      }
    }
    if (global.count > 0) heads[""] = global;
    for (auto& [subject, h] : heads) {
      h.seal = chain.seal(subject, h);
      if ((rc = put_head(head.stmt, subject, h)) != SQLITE_OK) {
        *failure = sqlite3_errmsg(db);
        return rc;
      }
    }
    // The dropped triggers again (IF NOT EXISTS: only they are created).
    const std::string finish = std::string(kSchema) + kSignalsSchema +
                               "PRAGMA user_version=" + std::to_string(kSchemaVersion) + ";";
    return exec(finish.c_str());
  };
  rc = run();
  if (rc == SQLITE_OK) rc = exec("COMMIT");
  if (rc != SQLITE_OK) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  return rc;
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

namespace {
// One subject's history as read from the file (and checked).
struct Loaded {
  std::vector<ConsentRecord> records;
  std::vector<ConsentSignal> signals;
};
}  // namespace

struct CUSTOS_NO_EXPORT ConsentStore::Impl {
  sqlite3* db = nullptr;
  std::string path;
  ConsentOptions options;
  // Why writes are refused, when they are: asked for read-only, or the file
  // could only be opened read-only.
  std::string read_only_reason;
  // Version 3: rows carry the chain, and reads check it.
  bool chained = false;
  Chain chain;
  // Prepared once; used only under db_mutex.
  sqlite3_stmt* load_stmt = nullptr;
  sqlite3_stmt* insert_stmt = nullptr;
  // Null for a version 1 store opened read-only: it has no signals.
  sqlite3_stmt* load_signals_stmt = nullptr;
  sqlite3_stmt* insert_signal_stmt = nullptr;
  // Version 3 only (the last three when writable).
  sqlite3_stmt* load_head_stmt = nullptr;
  sqlite3_stmt* put_head_stmt = nullptr;
  sqlite3_stmt* next_seq_stmt = nullptr;
  sqlite3_stmt* next_signal_seq_stmt = nullptr;
  // One read transaction around a subject's reads: its records, signals and
  // head are then one snapshot (another process's append in between would
  // otherwise look like a removed row), and the WAL read lock is taken once
  // instead of three times.
  sqlite3_stmt* begin_stmt = nullptr;
  sqlite3_stmt* commit_stmt = nullptr;
  // Serialises use of the connection and its statements, and makes "read
  // from the file, then fill the cache" atomic with respect to "append,
  // then update the cache".
  mutable std::mutex db_mutex;
  mutable std::shared_mutex cache_mutex;
  mutable detail::SubjectCache<CachedSubject> cache;  // subject_cache.hpp
  // Shared by every cached subject without records or signals (most of them).
  const std::shared_ptr<const std::vector<ConsentRecord>> no_records =
      std::make_shared<const std::vector<ConsentRecord>>();
  const std::shared_ptr<const SignalHistory> no_signals = std::make_shared<const SignalHistory>();

  explicit Impl(const std::string& key) : chain(key) {}

  ~Impl() {
    for (sqlite3_stmt* s :
         {load_stmt, insert_stmt, load_signals_stmt, insert_signal_stmt, load_head_stmt,
          put_head_stmt, next_seq_stmt, next_signal_seq_stmt, begin_stmt, commit_stmt}) {
      sqlite3_finalize(s);
    }
    sqlite3_close_v2(db);
  }

  Status error(const char* what) const {
    return Status(StatusCode::kIoError, path + ": " + what + ": " + sqlite3_errmsg(db));
  }

  Status damaged(std::int64_t seq, const std::string& why) const {
    return Status(StatusCode::kCorruption,
                  path + ": damaged consent store: record " + std::to_string(seq) + " " + why);
  }

  // "STORE: damaged consent store: WHAT".
  Status broken(const std::string& what) const {
    return Status(StatusCode::kCorruption, path + ": damaged consent store: " + what);
  }

  // Opens the file and checks it is a consent store, setting a new empty
  // file up (or a version 1 or 2 store upgraded) when `writable`. *rc: the
  // SQLite result code of a failure, so open() can tell SQLite's refusal to
  // write from a damaged file.
  static Result<std::unique_ptr<Impl>> connect(const std::string& path,
                                               const ConsentOptions& options, bool writable,
                                               const ExpectedSchemas& expected, int* rc);

  // A subject's head (false: none). REQUIRES: db_mutex held.
  Result<bool> load_head(std::string_view subject, Head* head) const {
    const ResetOnExit reset{load_head_stmt};
    sqlite3_bind_text(load_head_stmt, 1, subject.data(), static_cast<int>(subject.size()),
                      SQLITE_STATIC);
    const int rc = sqlite3_step(load_head_stmt);
    if (rc == SQLITE_DONE) return false;
    if (rc != SQLITE_ROW) return error("cannot read consent store");
    if (!read_head(load_head_stmt, head)) {
      return broken(subject.empty() ? std::string("the chain's head is not one Custos writes")
                                    : "the chain head of subject " + std::string(subject) +
                                          " is not one Custos writes");
    }
    return true;
  }

  // Every record and signal of a subject, each checked as append() writes
  // it, and (version 3) their chain: the subject's links in chain order,
  // then its head. REQUIRES: db_mutex held.
  Result<Loaded> load(std::string_view subject) const {
    struct ReadTransaction {
      sqlite3_stmt* commit = nullptr;
      ~ReadTransaction() {
        if (commit) {
          sqlite3_step(commit);
          sqlite3_reset(commit);
        }
      }
    } transaction;
    if (sqlite3_get_autocommit(db)) {
      const int rc = sqlite3_step(begin_stmt);
      sqlite3_reset(begin_stmt);
      if (rc != SQLITE_DONE) return error("cannot read consent store");
      transaction.commit = commit_stmt;
    }
    Loaded out;
    // A row's place in the subject's chain.
    struct Item {
      std::int64_t pos;
      bool signal;
      std::size_t index;
      std::int64_t seq;
      Digest link;
    };
    std::vector<Item> items;
    const auto chain_columns = [&](sqlite3_stmt* s, int first, bool signal, std::size_t index,
                                   std::int64_t seq) -> Status {
      if (!chained) return Status();
      Item item{0, signal, index, seq, {}};
      if (!read_pos(s, first, &item.pos) || !read_digest(s, first + 1, &item.link)) {
        return broken(row_name(signal, seq) + ": is not chained (written outside Custos)");
      }
      items.push_back(item);
      return Status();
    };
    {
      const ResetOnExit reset{load_stmt};
      sqlite3_bind_text(load_stmt, 1, subject.data(), static_cast<int>(subject.size()),
                        SQLITE_STATIC);
      int rc;
      while ((rc = sqlite3_step(load_stmt)) == SQLITE_ROW) {
        // Every field as append() writes it; anything else was written by
        // someone else.
        const std::int64_t seq = sqlite3_column_int64(load_stmt, 0);
        ConsentRecord r;
        if (const std::string why = read_record(load_stmt, 1, &r); !why.empty()) {
          return damaged(seq, why);
        }
        if (Status s = chain_columns(load_stmt, 6, false, out.records.size(), seq); !s.ok()) {
          return s;
        }
        out.records.push_back(std::move(r));
      }
      if (rc != SQLITE_DONE) return error("cannot read consent records");
    }
    if (load_signals_stmt) {  // else a version 1 store
      const ResetOnExit reset{load_signals_stmt};
      sqlite3_stmt* s = load_signals_stmt;
      sqlite3_bind_text(s, 1, subject.data(), static_cast<int>(subject.size()), SQLITE_STATIC);
      int rc;
      while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const std::int64_t seq = sqlite3_column_int64(s, 0);
        ConsentSignal signal;
        if (const std::string why = read_signal(s, 1, &signal); !why.empty()) {
          return Status(StatusCode::kCorruption, path + ": damaged consent store: signal " +
                                                     std::to_string(seq) + " " + why);
        }
        if (Status st = chain_columns(s, 5, true, out.signals.size(), seq); !st.ok()) return st;
        out.signals.push_back(std::move(signal));
      }
      if (rc != SQLITE_DONE) return error("cannot read consent signals");
    }
    if (!chained) return out;
    // The subject's chain, in chain order.
    std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
      return a.pos != b.pos ? a.pos < b.pos : a.signal != b.signal ? !a.signal : a.seq < b.seq;
    });
    Head mine;
    for (const Item& item : items) {
      if (item.pos <= mine.pos) {
        return broken(row_name(item.signal, item.seq) +
                      ": shares its chain position with another row (inserted or moved)");
      }
      const std::string c =
          item.signal ? canonical_signal(item.pos, item.seq, subject, out.signals[item.index])
                      : canonical_record(item.pos, item.seq, subject, out.records[item.index]);
      mine.hash = chain.link(mine.hash, c);
      if (mine.hash != item.link) {
        return broken(row_name(item.signal, item.seq) +
                      ": does not match its subject's chain (changed, inserted or moved)");
      }
      ++mine.count;
      mine.pos = item.pos;
      mine.kind = item.signal ? "signal" : "record";
      mine.seq = item.seq;
    }
    Head stored;
    auto found = load_head(subject, &stored);
    if (!found.ok()) return found.status();
    if (!*found) {
      if (items.empty()) return out;
      return broken(row_name(items.front().signal, items.front().seq) +
                    ": its subject has no chain head (written outside Custos)");
    }
    if (chain.seal(subject, mine) == stored.seal) return out;
    const std::string who = "subject " + std::string(subject);
    if (chain.seal(subject, stored) != stored.seal) {
      return broken("the chain head of " + who + " was changed");
    }
    if (stored.count > mine.count) {
      return broken(stored.kind + " seq " + std::to_string(stored.seq) + ": is missing (removed; " +
                    who + "'s chain head names it as their latest)");
    }
    if (mine.count > stored.count) {  // stored.count >= 1 (read_head)
      // The first row past the head.
      const Item& extra = items[static_cast<std::size_t>(stored.count)];
      return broken(row_name(extra.signal, extra.seq) + ": comes after " + who +
                    "'s chain head (added outside Custos)");
    }
    return broken("the chain head of " + who + " does not match their history");
  }

  // The subject's cached snapshots, loaded (both at once) on a miss.
  Result<CachedSubject> cached(std::string_view subject) const {
    {
      std::shared_lock<std::shared_mutex> lock(cache_mutex);
      if (const CachedSubject* hit = cache.find(subject)) return *hit;
    }
    std::lock_guard<std::mutex> db_lock(db_mutex);
    auto loaded = load(subject);
    if (!loaded.ok()) return loaded.status();
    CachedSubject entry{no_records, no_signals};
    if (!loaded->records.empty()) {
      entry.records =
          std::make_shared<const std::vector<ConsentRecord>>(std::move(loaded->records));
    }
    if (!loaded->signals.empty()) {
      auto history = std::make_shared<SignalHistory>();
      history->entries.reserve(loaded->signals.size());
      for (const auto& signal : loaded->signals) history->entries.push_back(decoded(signal));
      entry.signals = std::move(history);
    }
    std::unique_lock<std::shared_mutex> lock(cache_mutex);
    if (cache.size() >= options.cache_subjects) cache.clear();
    cache.put(subject, entry);
    return entry;
  }

  // Appends one row, chained: in one write transaction, the two heads, the
  // row with its seq, position and hashes, the two heads again. `bind`
  // binds the row's own fields (from parameter 2 on) and returns the index
  // of the first parameter after them. REQUIRES: db_mutex held.
  template <typename Canonical, typename Bind>
  Status append_row(bool signal, std::string_view subject, Canonical&& canonical, Bind&& bind) {
    const auto fail = [&](const char* what) {
      Status s = error(what);
      sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      return s;
    };
    const char* what = signal ? "cannot append consent signal" : "cannot append consent record";
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
      return fail(what);
    }
    Head global, mine;
    for (auto [name, head] : {std::pair<std::string_view, Head*>{"", &global}, {subject, &mine}}) {
      auto found = load_head(name, head);
      if (!found.ok()) {
        sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
        return found.status();
      }
    }
    sqlite3_stmt* next = signal ? next_signal_seq_stmt : next_seq_stmt;
    std::int64_t seq;
    {
      const ResetOnExit reset{next};
      if (sqlite3_step(next) != SQLITE_ROW) return fail(what);
      seq = sqlite3_column_int64(next, 0);
    }
    const std::int64_t pos = global.pos + 1;
    const std::string c = canonical(pos, seq);
    global.hash = chain.link(global.hash, c);
    mine.hash = chain.link(mine.hash, c);
    for (Head* h : {&global, &mine}) {
      ++h->count;
      h->pos = pos;
      h->kind = signal ? "signal" : "record";
      h->seq = seq;
    }
    global.seal = chain.seal("", global);
    mine.seal = chain.seal(subject, mine);
    {
      sqlite3_stmt* s = signal ? insert_signal_stmt : insert_stmt;
      const ResetOnExit reset{s};
      sqlite3_bind_int64(s, 1, seq);
      sqlite3_bind_text(s, 2, subject.data(), static_cast<int>(subject.size()), SQLITE_STATIC);
      const int i = bind(s);
      sqlite3_bind_int64(s, i, pos);
      sqlite3_bind_blob(s, i + 1, global.hash.data(), static_cast<int>(global.hash.size()),
                        SQLITE_STATIC);
      sqlite3_bind_blob(s, i + 2, mine.hash.data(), static_cast<int>(mine.hash.size()),
                        SQLITE_STATIC);
      if (sqlite3_step(s) != SQLITE_DONE) return fail(what);
    }
    if (put_head(put_head_stmt, "", global) != SQLITE_OK ||
        put_head(put_head_stmt, subject, mine) != SQLITE_OK ||
        sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
      return fail(what);
    }
    return Status();
  }

  Result<ConsentVerifyReport> verify() const;
};

Result<std::unique_ptr<ConsentStore::Impl>> ConsentStore::Impl::connect(
    const std::string& path, const ConsentOptions& options, bool writable,
    const ExpectedSchemas& expected, int* rc) {
  auto impl = std::make_unique<Impl>(options.chain_key);
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
      *rc = set_up(impl->db, !options.chain_key.empty(), &failure);
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
  if (header.user_version < kSchemaVersion && options.require_chain) {
    return Status(StatusCode::kCorruption,
                  path + ": a consent store of schema version " +
                      std::to_string(header.user_version) +
                      ", from before the chain, and ConsentOptions::require_chain refuses it");
  }
  if (writable && header.user_version < kSchemaVersion) {
    std::string failure;
    bool damaged = false;
    *rc = upgrade(impl->db, expected, impl->chain, &failure, &damaged);
    if (*rc != SQLITE_OK) {
      if (damaged) {
        *rc = SQLITE_OK;  // not worth a read-only try
        return Status(StatusCode::kCorruption, path + ": cannot upgrade consent store to version " +
                                                   std::to_string(kSchemaVersion) + ": " + failure);
      }
      return Status(StatusCode::kIoError, path + ": cannot upgrade consent store to version " +
                                              std::to_string(kSchemaVersion) + ": " + failure);
    }
    *rc = read_header(impl->db, &header);
    if (*rc != SQLITE_OK) return sqlite_error("cannot read consent store");
    if (const std::string why = check_header(header, expected); !why.empty()) {
      return Status(StatusCode::kCorruption, path + ": " + why);
    }
  }
  impl->chained = header.user_version >= 3;
  if (impl->chained) {
    // The chain's kind must be the one the caller expects: a keyed store
    // read without its key could not be checked, and one rewritten as
    // unkeyed would be checked against nothing an editor cannot compute.
    Statement meta;
    *rc = sqlite3_prepare_v2(impl->db, "SELECT value FROM consent_meta WHERE key = 'chain'", -1,
                             &meta.stmt, nullptr);
    if (*rc != SQLITE_OK) return sqlite_error("cannot read consent store");
    std::string kind;
    *rc = sqlite3_step(meta.stmt);
    if (*rc != SQLITE_ROW && *rc != SQLITE_DONE) return sqlite_error("cannot read consent store");
    *rc = SQLITE_OK;
    if (!text_column(meta.stmt, 0, &kind) || (kind != "sha256" && kind != "hmac-sha256")) {
      return Status(StatusCode::kCorruption,
                    path + ": damaged consent store: its chain kind (consent_meta) is missing");
    }
    const bool keyed = kind == "hmac-sha256";
    if (keyed != impl->chain.keyed()) {
      return Status(StatusCode::kInvalidArgument,
                    path + (keyed ? ": the consent store's chain is keyed (hmac-sha256): open it "
                                    "with its key (ConsentOptions::chain_key)"
                                  : ": the consent store's chain is not keyed (sha256), but a "
                                    "key was given: open it without one"));
    }
  }
  const auto prepare = [&](const char* sql, sqlite3_stmt** stmt) {
    return sqlite3_prepare_v3(impl->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, nullptr) ==
           SQLITE_OK;
  };
  const bool signals = header.user_version >= 2;
  const bool chained = impl->chained;
  if (!prepare(chained ? kLoadChainedSql : kLoadSql, &impl->load_stmt) ||
      (signals &&
       !prepare(chained ? kLoadChainedSignalsSql : kLoadSignalsSql, &impl->load_signals_stmt)) ||
      (chained && !prepare(kLoadHeadSql, &impl->load_head_stmt)) ||
      !prepare("BEGIN", &impl->begin_stmt) || !prepare("COMMIT", &impl->commit_stmt) ||
      (writable && !prepare(kInsertSql, &impl->insert_stmt)) ||
      (writable && !prepare(kInsertSignalSql, &impl->insert_signal_stmt)) ||
      (writable && !prepare(kPutHeadSql, &impl->put_head_stmt)) ||
      (writable && !prepare(kNextSeqSql, &impl->next_seq_stmt)) ||
      (writable && !prepare(kNextSignalSeqSql, &impl->next_signal_seq_stmt))) {
    *rc = sqlite3_errcode(impl->db);
    return sqlite_error("cannot prepare consent store statements");
  }
  *rc = SQLITE_OK;
  return impl;
}

// FORMAT.md, "Verification".
Result<ConsentVerifyReport> ConsentStore::Impl::verify() const {
  ConsentVerifyReport report;
  const auto count_rows = [&](const char* sql, std::size_t* n) -> Status {
    Statement s;
    if (sqlite3_prepare_v2(db, sql, -1, &s.stmt, nullptr) != SQLITE_OK ||
        sqlite3_step(s.stmt) != SQLITE_ROW) {
      return error("cannot read consent store");
    }
    *n = static_cast<std::size_t>(sqlite3_column_int64(s.stmt, 0));
    return Status();
  };
  if (!chained) {
    // Versions 1 and 2 (read-only): nothing to check the rows against.
    if (Status s = count_rows("SELECT count(*) FROM consent_records", &report.records); !s.ok()) {
      return s;
    }
    if (load_signals_stmt) {
      if (Status s = count_rows("SELECT count(*) FROM consent_signals", &report.signals); !s.ok()) {
        return s;
      }
    }
    return report;
  }
  report.chained = true;
  report.chain = chain.keyed() ? "hmac-sha256" : "sha256";
  // One read transaction: a consistent snapshot of rows and heads.
  if (sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return error("cannot read consent store");
  }
  struct EndRead {
    sqlite3* db;
    ~EndRead() { sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr); }
  } end_read{db};

  // The heads, first: rows past a head are named as they are met.
  std::map<std::string, Head, std::less<>> stored;
  {
    Statement s;
    if (sqlite3_prepare_v2(db,
                           "SELECT count, pos, kind, seq, hash, seal, subject FROM consent_heads",
                           -1, &s.stmt, nullptr) != SQLITE_OK) {
      return error("cannot read consent store");
    }
    int rc;
    while ((rc = sqlite3_step(s.stmt)) == SQLITE_ROW) {
      std::string subject;
      Head h;
      if (!text_column(s.stmt, 6, &subject) || !read_head(s.stmt, &h)) {
        return Status(StatusCode::kCorruption,
                      path + ": a chain head (subject " + subject + ") is not one Custos writes");
      }
      stored[subject] = h;
    }
    if (rc != SQLITE_DONE) return error("cannot read consent store");
  }

  // One cursor per table, merged in chain order.
  struct Cursor {
    bool signal = false;
    Statement s;
    bool has_row = false;
    std::int64_t seq = 0, pos = 0;  // pos 0: none
    bool hashes = false;            // both hashes present
    Digest hash{}, subject_hash{};
    std::string subject, why;
    ConsentRecord record;
    ConsentSignal sig;
  };
  Cursor cursors[2];
  const auto advance = [&](Cursor& c) -> Status {
    const int rc = sqlite3_step(c.s.stmt);
    if (rc == SQLITE_DONE) {
      c.has_row = false;
      return Status();
    }
    if (rc != SQLITE_ROW) return error("cannot read consent store");
    sqlite3_stmt* st = c.s.stmt;
    c.has_row = true;
    c.seq = sqlite3_column_int64(st, 0);
    c.record = ConsentRecord{};
    c.sig = ConsentSignal{};
    c.why = c.signal ? read_signal(st, 1, &c.sig) : read_record(st, 1, &c.record);
    const int first = c.signal ? 5 : 6;  // pos, subject_hash, hash, subject
    if (!read_pos(st, first, &c.pos)) c.pos = 0;
    c.hashes = read_digest(st, first + 1, &c.subject_hash) && read_digest(st, first + 2, &c.hash);
    if (!text_column(st, first + 3, &c.subject) || c.subject.empty()) {
      if (c.why.empty()) c.why = "has no valid subject";
    }
    return Status();
  };
  for (const bool signal : {false, true}) {
    Cursor& c = cursors[signal ? 1 : 0];
    c.signal = signal;
    if (sqlite3_prepare_v2(db, signal ? kAllSignalsSql : kAllRecordsSql, -1, &c.s.stmt, nullptr) !=
        SQLITE_OK) {
      return error("cannot read consent store");
    }
    if (Status s = advance(c); !s.ok()) return s;
  }
  const auto bad = [&](const std::string& what) {
    return Status(StatusCode::kCorruption, path + ": " + what);
  };
  Head global;
  std::map<std::string, Head, std::less<>> subjects;
  // The first row past each head (subject "" for the whole chain).
  std::map<std::string, std::string, std::less<>> past_head;
  std::int64_t last_seq[2] = {0, 0};
  while (cursors[0].has_row || cursors[1].has_row) {
    const auto before = [](const Cursor& a, const Cursor& b) {
      return a.pos != b.pos ? a.pos < b.pos : !a.signal;
    };
    Cursor& c = !cursors[1].has_row              ? cursors[0]
                : !cursors[0].has_row            ? cursors[1]
                : before(cursors[0], cursors[1]) ? cursors[0]
                                                 : cursors[1];
    const std::string name = row_name(c.signal, c.seq);
    if (!c.why.empty()) return bad(name + ": " + c.why);
    if (c.pos == 0 || !c.hashes) return bad(name + ": is not chained (written outside Custos)");
    const std::int64_t expected = global.pos + 1;
    if (c.pos < expected) {
      return bad(name + ": repeats chain position " + std::to_string(c.pos) +
                 " (inserted or moved)");
    }
    if (c.pos > expected) {
      // A removed row. Seqs run on without gaps in each table: the one
      // whose next seq is not here lost it.
      const int table =
          c.seq > last_seq[c.signal ? 1 : 0] + 1 ? (c.signal ? 1 : 0) : (c.signal ? 0 : 1);
      return bad(row_name(table == 1, last_seq[table] + 1) +
                 ": is missing (removed; the chain skips from position " +
                 std::to_string(global.pos) + " to " + std::to_string(c.pos) + ", at " + name +
                 ")");
    }
    const std::string canonical = c.signal ? canonical_signal(c.pos, c.seq, c.subject, c.sig)
                                           : canonical_record(c.pos, c.seq, c.subject, c.record);
    const Digest h = chain.link(global.hash, canonical);
    if (h != c.hash) return bad(name + ": does not match the chain (changed, inserted or moved)");
    Head& mine = subjects[c.subject];
    const Digest sh = chain.link(mine.hash, canonical);
    if (sh != c.subject_hash) {
      return bad(name + ": does not match its subject's chain (changed, inserted or moved)");
    }
    for (auto [subject, head] :
         {std::pair<std::string_view, Head*>{"", &global}, {c.subject, &mine}}) {
      const auto it = stored.find(subject);
      if (it != stored.end() && head->count == it->second.count) {
        past_head.emplace(std::string(subject), name);
      }
      ++head->count;
      head->pos = c.pos;
      head->kind = c.signal ? "signal" : "record";
      head->seq = c.seq;
    }
    global.hash = h;
    mine.hash = sh;
    last_seq[c.signal ? 1 : 0] = c.seq;
    ++(c.signal ? report.signals : report.records);
    if (Status s = advance(c); !s.ok()) return s;
  }

  // The heads: each must seal exactly the chain it heads.
  const auto check_head = [&](std::string_view subject, const Head& mine) -> Status {
    const std::string who =
        subject.empty() ? std::string("the chain") : "subject " + std::string(subject);
    const auto it = stored.find(subject);
    if (it == stored.end()) {
      if (mine.count == 0) return Status();
      return bad(mine.kind + " seq " + std::to_string(mine.seq) + ": " + who +
                 " has no chain head (removed, or written outside Custos)");
    }
    const Head& h = it->second;
    if (chain.seal(subject, mine) == h.seal) return Status();
    if (chain.seal(subject, h) != h.seal) return bad("the chain head of " + who + " was changed");
    if (h.count > mine.count) {
      return bad(h.kind + " seq " + std::to_string(h.seq) + ": is missing (removed; " +
                 (subject.empty() ? std::string("the chain's head") : who + "'s chain head") +
                 " names it as the latest)");
    }
    if (const auto extra = past_head.find(subject); extra != past_head.end()) {
      return bad(extra->second + ": comes after " +
                 (subject.empty() ? std::string("the chain's head") : who + "'s chain head") +
                 " (added outside Custos)");
    }
    return bad("the chain head of " + who + " does not match the chain");
  };
  if (Status s = check_head("", global); !s.ok()) return s;
  for (const auto& [subject, mine] : subjects) {
    if (Status s = check_head(subject, mine); !s.ok()) return s;
  }
  for (const auto& [subject, h] : stored) {
    if (!subject.empty() && !subjects.count(subject)) {
      return bad(h.kind + " seq " + std::to_string(h.seq) + ": is missing (removed, with all of " +
                 "subject " + subject + "'s history; their chain head remains)");
    }
  }
  report.subjects = subjects.size();
  if (global.count > 0) report.head = crypto::to_hex(global.hash.data(), global.hash.size());
  return report;
}

ConsentStore::ConsentStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ConsentStore::~ConsentStore() = default;

Result<std::unique_ptr<ConsentStore>> ConsentStore::open(const std::string& path,
                                                         ConsentOptions options) {
  auto v1 = expected_schema(1);
  if (!v1.ok()) return v1.status();
  auto v2 = expected_schema(2);
  if (!v2.ok()) return v2.status();
  auto v3 = expected_schema(3);
  if (!v3.ok()) return v3.status();
  if (!options.chain_key.empty() && options.chain_key.size() < 16) {
    return Status(StatusCode::kInvalidArgument,
                  path + ": a consent store's chain key has at least 16 bytes");
  }
  const ExpectedSchemas schemas{std::move(*v1), std::move(*v2), std::move(*v3)};
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
  const Status appended = impl_->append_row(
      false, subject,
      [&](std::int64_t pos, std::int64_t seq) {
        return canonical_record(pos, seq, subject, record);
      },
      [&](sqlite3_stmt* s) {
        sqlite3_bind_text(s, 3, record.purpose.data(), static_cast<int>(record.purpose.size()),
                          SQLITE_STATIC);
        sqlite3_bind_text(s, 4, consent_state_name(record.state), -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 5, record.at);
        if (record.expires) {
          sqlite3_bind_int64(s, 6, *record.expires);
        } else {
          sqlite3_bind_null(s, 6);
        }
        sqlite3_bind_text(s, 7, record.source.data(), static_cast<int>(record.source.size()),
                          SQLITE_STATIC);
        return 8;
      });
  if (!appended.ok()) return appended;
  // Keep the cache coherent: replace this subject's snapshot, if cached.
  std::unique_lock<std::shared_mutex> cache_lock(impl_->cache_mutex);
  if (CachedSubject* hit = impl_->cache.find(subject)) {
    auto updated = std::make_shared<std::vector<ConsentRecord>>(*hit->records);
    updated->push_back(record);
    hit->records = std::move(updated);
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
  const Status appended = impl_->append_row(
      true, subject,
      [&](std::int64_t pos, std::int64_t seq) {
        return canonical_signal(pos, seq, subject, signal);
      },
      [&](sqlite3_stmt* s) {
        const bool tcf = signal.kind == SignalKind::kTcf;
        sqlite3_bind_text(s, 3, tcf ? "tcf" : "gpc", -1, SQLITE_STATIC);
        if (tcf) {
          sqlite3_bind_text(s, 4, signal.tc_string.data(),
                            static_cast<int>(signal.tc_string.size()), SQLITE_STATIC);
        } else {
          sqlite3_bind_text(s, 4, signal.gpc ? "on" : "off", -1, SQLITE_STATIC);
        }
        sqlite3_bind_int64(s, 5, signal.at);
        sqlite3_bind_text(s, 6, signal.source.data(), static_cast<int>(signal.source.size()),
                          SQLITE_STATIC);
        return 7;
      });
  if (!appended.ok()) return appended;
  std::unique_lock<std::shared_mutex> cache_lock(impl_->cache_mutex);
  if (CachedSubject* hit = impl_->cache.find(subject)) {
    auto updated = std::make_shared<SignalHistory>(*hit->signals);
    updated->entries.push_back(std::move(entry));
    hit->signals = std::move(updated);
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
  auto loaded = impl_->load(subject);
  if (!loaded.ok()) return loaded.status();
  return std::move(loaded->records);
}

Result<std::shared_ptr<const std::vector<ConsentRecord>>> ConsentStore::records(
    std::string_view subject) const {
  {
    std::shared_lock<std::shared_mutex> lock(impl_->cache_mutex);
    if (const CachedSubject* hit = impl_->cache.find(subject)) return hit->records;
  }
  auto entry = impl_->cached(subject);
  if (!entry.ok()) return entry.status();
  return std::move(entry->records);
}

Result<std::vector<ConsentSignal>> ConsentStore::signal_history(std::string_view subject) const {
  std::lock_guard<std::mutex> db_lock(impl_->db_mutex);
  auto loaded = impl_->load(subject);
  if (!loaded.ok()) return loaded.status();
  return std::move(loaded->signals);
}

Result<ConsentVerifyReport> ConsentStore::verify() const {
  std::lock_guard<std::mutex> db_lock(impl_->db_mutex);
  return impl_->verify();
}

Result<std::shared_ptr<const SignalHistory>> ConsentStore::signals(std::string_view subject) const {
  {
    std::shared_lock<std::shared_mutex> lock(impl_->cache_mutex);
    if (const CachedSubject* hit = impl_->cache.find(subject)) return hit->signals;
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

namespace custos::detail {

Status ConsentCacheAccess::visit_records(const ConsentStore& store, SubjectKey subject, Use use,
                                         void* context) {
  ConsentStore::Impl& impl = *store.impl_;
  char digits[24];
  if (subject.is_id) {
    if (subject.id >= 0 && static_cast<std::uint64_t>(subject.id) <= kMaxDecimalId) {
      const auto value = static_cast<std::uint64_t>(subject.id);
      std::shared_lock<std::shared_mutex> lock(impl.cache_mutex);
      if (const auto* hit = impl.cache.find_decimal(value)) {
        use(*hit->records, context);
        return Status();
      }
    }
    const auto end = std::to_chars(digits, digits + sizeof digits, subject.id).ptr;
    subject.text = std::string_view(digits, static_cast<std::size_t>(end - digits));
  } else {
    std::shared_lock<std::shared_mutex> lock(impl.cache_mutex);
    if (const auto* hit = impl.cache.find(subject.text)) {
      use(*hit->records, context);
      return Status();
    }
  }
  // A miss: loaded (and cached) as records() does; the snapshot is kept
  // alive by this reference while `use` reads it.
  auto entry = impl.cached(subject.text);
  if (!entry.ok()) return entry.status();
  use(*entry->records, context);
  return Status();
}

}  // namespace custos::detail
