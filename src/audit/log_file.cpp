#include "audit/log_file.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>

namespace custos::audit {
namespace {

// FORMAT.md, section 2, as SQLite stores it (sqlite_schema.sql).
constexpr const char* kSchema[] = {
    "CREATE TABLE audit_meta (\n  key   TEXT PRIMARY KEY,\n  value TEXT NOT NULL\n) WITHOUT "
    "ROWID",
    "CREATE TABLE audit_entries (\n  seq   INTEGER PRIMARY KEY,\n  entry TEXT NOT NULL,\n  hash "
    " BLOB NOT NULL\n)",
    "CREATE TABLE audit_subject_index (\n  subject TEXT NOT NULL,\n  seq     INTEGER NOT NULL,\n "
    " PRIMARY KEY (subject, seq)\n) WITHOUT ROWID",
    "CREATE TABLE audit_subject_sets (\n  seq      INTEGER PRIMARY KEY,\n  subjects BLOB NOT "
    "NULL\n)",
    "CREATE TABLE audit_checkpoints (\n  seq        INTEGER PRIMARY KEY,\n  hash       BLOB NOT "
    "NULL,\n  time       TEXT NOT NULL,\n  public_key TEXT NOT NULL,\n  signature  BLOB NOT "
    "NULL\n)",
};

constexpr const char* kProtectedTables[] = {"audit_entries", "audit_subject_index",
                                            "audit_subject_sets", "audit_checkpoints"};

std::string append_only_triggers() {
  std::string sql;
  for (const char* t : kProtectedTables) {
    for (const char* op : {"UPDATE", "DELETE"}) {
      sql += std::string("CREATE TRIGGER ") + t + "_no_" + (op[0] == 'U' ? "update" : "delete") +
             " BEFORE " + op + " ON " + t +
             " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;";
    }
  }
  return sql;
}

Status exec(sqlite3* db, const std::string& sql, const std::string& path) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    return Status(StatusCode::kIoError, path + ": " + text);
  }
  return Status();
}

}  // namespace

Status LogFile::error(const std::string& what) const {
  return Status(StatusCode::kIoError, path + ": " + what + ": " + sqlite3_errmsg(db));
}

Status LogFile::prepare(const char* sql, Statement& s) const {
  if (sqlite3_prepare_v2(db, sql, -1, &s.stmt, nullptr) != SQLITE_OK) {
    return error("cannot read the audit log");
  }
  return Status();
}

Status open_log(const std::string& path, bool create, bool keyed_if_created, LogFile& out) {
  out.path = path;
  if (!create && !std::filesystem::exists(path)) {
    return Status(StatusCode::kNotFound, path + ": no such audit log");
  }
  const int flags = create ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
  if (sqlite3_open_v2(path.c_str(), &out.db, flags | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    return Status(StatusCode::kIoError, path + ": cannot open the audit log: " +
                                            (out.db ? sqlite3_errmsg(out.db) : "out of memory"));
  }
  sqlite3_busy_timeout(out.db, 5000);
  sqlite3_db_config(out.db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  int application_id = 0, version = 0;
  std::vector<std::string> schema;
  {
    Statement s;
    if (Status st = out.prepare("PRAGMA application_id", s); !st.ok()) {
      return Status(StatusCode::kCorruption,
                    path + ": not an audit log: " + sqlite3_errmsg(out.db));
    }
    if (sqlite3_step(s.stmt) == SQLITE_ROW) application_id = sqlite3_column_int(s.stmt, 0);
    Statement v;
    if (Status st = out.prepare("PRAGMA user_version", v); !st.ok()) return st;
    if (sqlite3_step(v.stmt) == SQLITE_ROW) version = sqlite3_column_int(v.stmt, 0);
    Statement t;
    if (Status st =
            out.prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' ORDER BY name", t);
        !st.ok()) {
      return st;
    }
    while (sqlite3_step(t.stmt) == SQLITE_ROW) {
      const auto* sql = sqlite3_column_text(t.stmt, 0);
      schema.emplace_back(sql ? reinterpret_cast<const char*>(sql) : "");
    }
  }
  if (application_id == 0 && schema.empty()) {
    if (!create) return Status(StatusCode::kNotFound, path + ": no audit log here");
    std::string sql = "PRAGMA journal_mode = WAL; BEGIN IMMEDIATE;";
    for (const char* table : kSchema) sql += std::string(table) + ";";
    sql += append_only_triggers();
    sql += std::string("INSERT INTO audit_meta VALUES ('chain', '") +
           (keyed_if_created ? "hmac-sha256" : "sha256") + "');";
    sql += "PRAGMA application_id = " + std::to_string(kApplicationId) +
           "; PRAGMA user_version = " + std::to_string(kSchemaVersion) + "; COMMIT;";
    if (Status s = exec(out.db, sql, path); !s.ok()) {
      (void)exec(out.db, "ROLLBACK", path);
      return s;
    }
    out.keyed = keyed_if_created;
    return Status();
  }
  if (application_id != kApplicationId) {
    return Status(StatusCode::kCorruption, path + ": not an audit log (another kind of file)");
  }
  if (version != kSchemaVersion) {
    return Status(StatusCode::kCorruption, path + ": audit log version " + std::to_string(version) +
                                               ", this build reads " +
                                               std::to_string(kSchemaVersion));
  }
  std::vector<std::string> expected(std::begin(kSchema), std::end(kSchema));
  std::sort(expected.begin(), expected.end(), [](const std::string& a, const std::string& b) {
    // By table name, as sqlite_schema was read.
    return a.substr(13, a.find(' ', 13) - 13) < b.substr(13, b.find(' ', 13) - 13);
  });
  if (schema != expected) {
    return Status(StatusCode::kCorruption,
                  path + ": damaged audit log: its tables are not those of FORMAT.md");
  }
  Statement meta;
  if (Status st = out.prepare("SELECT value FROM audit_meta WHERE key = 'chain'", meta); !st.ok()) {
    return st;
  }
  std::string chain;
  if (sqlite3_step(meta.stmt) == SQLITE_ROW) {
    const auto* v = sqlite3_column_text(meta.stmt, 0);
    chain = v ? reinterpret_cast<const char*>(v) : "";
  }
  if (chain != "hmac-sha256" && chain != "sha256") {
    return Status(StatusCode::kCorruption,
                  path + ": damaged audit log: unknown chain `" + chain + "`");
  }
  out.keyed = chain == "hmac-sha256";
  if (create) return exec(out.db, "PRAGMA journal_mode = WAL", path);
  return Status();
}

crypto::Digest chain_hash(const crypto::HmacSha256* hasher, const crypto::Digest& previous,
                          std::string_view entry) {
  const std::string_view h(reinterpret_cast<const char*>(previous.data()), previous.size());
  return hasher ? hasher->mac(h, entry) : crypto::sha256(h, entry);
}

bool is_decimal(std::string_view s) {
  if (s.empty() || s.size() > 19 || (s.size() > 1 && s[0] == '0')) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

namespace {

bool subject_before(const std::string& a, const std::string& b) {
  const bool na = is_decimal(a), nb = is_decimal(b);
  if (na != nb) return na;
  if (na && a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

}  // namespace

bool subjects_sorted(const std::vector<std::string>& subjects) {
  bool previous_decimal = !subjects.empty() && is_decimal(subjects[0]);
  for (std::size_t i = 1; i < subjects.size(); ++i) {
    // subject_before, with each id's decimal test made once.
    const std::string &a = subjects[i - 1], &b = subjects[i];
    const bool decimal = is_decimal(b);
    const bool before = previous_decimal != decimal                ? previous_decimal
                        : previous_decimal && a.size() != b.size() ? a.size() < b.size()
                                                                   : a < b;
    if (!before) return false;  // out of order, or twice
    previous_decimal = decimal;
  }
  return true;
}

void sort_subjects(std::vector<std::string>& subjects) {
  const auto before = subject_before;
  if (!std::is_sorted(subjects.begin(), subjects.end(), before)) {
    std::sort(subjects.begin(), subjects.end(), before);
  }
  subjects.erase(std::unique(subjects.begin(), subjects.end()), subjects.end());
}

std::string encode_subject_set(const std::vector<std::string>& subjects) {
  // A million ids is one buffer: sized once, each id appended whole unless
  // it holds the separator (then byte by byte).
  std::size_t bytes = 0;
  for (const auto& s : subjects) bytes += s.size() + 1;
  std::string out;
  out.reserve(bytes);
  for (const auto& s : subjects) {
    if (s.find('\n') == std::string::npos) {
      out += s;
    } else {
      for (char c : s) {
        if (c == '\n') {
          out += "\xEF\xBF\xBD";  // U+FFFD: an id never holds the separator
        } else {
          out += c;
        }
      }
    }
    out += '\n';
  }
  return out;
}

std::vector<std::string> decode_subject_set(std::string_view data) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '\n') {
      out.emplace_back(data.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

std::string hex(const crypto::Digest& d) {
  return crypto::to_hex(d.data(), d.size());
}

}  // namespace custos::audit
