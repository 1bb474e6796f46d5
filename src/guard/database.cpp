// Guarded reads: Database, Session and Rows over SQLite's own machinery
// (ARCHITECTURE.md, "Guarded SQLite reads"): per-session virtual tables in
// `temp`, named like the bound tables, that return only the rows and cells
// the policy allows (decided through the engine), and an authorizer that
// lets a statement read nothing else. No SQL text is parsed here; SQLite
// resolves every name, and the authorizer sees each read.
//
// Why virtual tables rather than views: a view's row filter is one term of
// the statement's WHERE clause, and SQLite may evaluate the statement's own
// terms first (in an OR branch, an automatic index, the outer loop of a
// join), so an error raised there could tell that a hidden row exists. A
// virtual table never hands SQLite a row the session may not see.
#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <new>

#include "base/time.hpp"
#include "crypto/crypto.hpp"
#include "custos/database.hpp"
#include "custos/limits.hpp"
#include "engine/row_decider.hpp"
#include "engine/transform.hpp"
#include "guard/plan.hpp"
#include "guard/schema.hpp"

namespace custos {
namespace detail {

class GuardAccess {
 public:
  using DatabaseImpl = Database::Impl;
  using SessionImpl = Session::Impl;
  using RowsImpl = Rows::Impl;

  template <typename T, typename Impl>
  static T make(std::unique_ptr<Impl> impl) {
    return T(std::move(impl));
  }
  template <typename T, typename Impl>
  static std::unique_ptr<T> make_unique(std::unique_ptr<Impl> impl) {
    return std::unique_ptr<T>(new T(std::move(impl)));
  }
};

}  // namespace detail

namespace {

using DatabaseImpl = detail::GuardAccess::DatabaseImpl;
using SessionImpl = detail::GuardAccess::SessionImpl;
using RowsImpl = detail::GuardAccess::RowsImpl;
using guard::PlannedColumn;
using guard::PlannedTable;

// The refusal of a statement that would write: the authorizer's (with the
// reason), and the short one for what SQLite itself marks as not read-only.
constexpr const char* kReadOnly = "guarded sessions only read (SELECT)";
constexpr const char* kWriteRefused =
    "guarded sessions only read (SELECT): this statement would change the database or its "
    "schema";

// Functions a guarded statement may call: deterministic ones that compute
// on the values the session's views return. Not here: load_extension,
// fts3_tokenizer, randomness, zeroblob (memory), sqlite_offset (the file's
// layout), and anything else SQLite or an extension may add.
constexpr const char* kAllowedFunctions[] = {"abs",
                                             "acos",
                                             "acosh",
                                             "asin",
                                             "asinh",
                                             "atan",
                                             "atan2",
                                             "atanh",
                                             "avg",
                                             "ceil",
                                             "ceiling",
                                             "char",
                                             "coalesce",
                                             "cos",
                                             "cosh",
                                             "count",
                                             "cume_dist",
                                             "date",
                                             "datetime",
                                             "degrees",
                                             "dense_rank",
                                             "exp",
                                             "first_value",
                                             "floor",
                                             "format",
                                             "glob",
                                             "group_concat",
                                             "hex",
                                             "ifnull",
                                             "iif",
                                             "instr",
                                             "json",
                                             "json_array",
                                             "json_array_length",
                                             "json_extract",
                                             "json_group_array",
                                             "json_group_object",
                                             "json_object",
                                             "json_quote",
                                             "json_type",
                                             "json_valid",
                                             "julianday",
                                             "lag",
                                             "last_value",
                                             "lead",
                                             "length",
                                             "like",
                                             "likelihood",
                                             "likely",
                                             "ln",
                                             "log",
                                             "log10",
                                             "log2",
                                             "lower",
                                             "ltrim",
                                             "max",
                                             "min",
                                             "mod",
                                             "nth_value",
                                             "ntile",
                                             "nullif",
                                             "percent_rank",
                                             "pi",
                                             "pow",
                                             "power",
                                             "printf",
                                             "quote",
                                             "radians",
                                             "rank",
                                             "replace",
                                             "round",
                                             "row_number",
                                             "rtrim",
                                             "sign",
                                             "sin",
                                             "sinh",
                                             "sqrt",
                                             "strftime",
                                             "substr",
                                             "substring",
                                             "sum",
                                             "tan",
                                             "tanh",
                                             "time",
                                             "total",
                                             "trim",
                                             "trunc",
                                             "typeof",
                                             "unicode",
                                             "unixepoch",
                                             "unlikely",
                                             "upper"};

bool allowed_function(std::string_view name) {
  for (const char* f : kAllowedFunctions) {
    if (guard::same_name(name, f)) return true;
  }
  return false;
}

bool is_schema_table(std::string_view name) {
  for (const char* t : {"sqlite_master", "sqlite_schema", "sqlite_temp_master",
                        "sqlite_temp_schema", "sqlite_sequence", "sqlite_stat1", "sqlite_stat4"}) {
    if (guard::same_name(name, t)) return true;
  }
  return false;
}

// A canonical decimal integer: digits, no leading zero (but "0"), at most
// 19 of them (as the audit log orders ids, src/audit/log_file.cpp).
bool is_decimal(std::string_view s) {
  if (s.empty() || s.size() > 19 || (s.size() > 1 && s[0] == '0')) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// AccessRecord's order of subject ids: decimal ones (a_decimal, b_decimal)
// first, in numeric order; then the others by their bytes.
bool subject_before(bool a_decimal, std::string_view a, bool b_decimal, std::string_view b) {
  if (a_decimal != b_decimal) return a_decimal;
  if (a_decimal && a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

std::string fingerprint_of(std::string_view sql) {
  const crypto::Digest d = crypto::sha256(sql);
  return crypto::to_hex(d.data(), 8);
}

// A SQL value as Custos sees it (BLOBs are opaque: no transform takes them).
Value value_of(sqlite3_value* v) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
      return Value::of_int(sqlite3_value_int64(v));
    case SQLITE_FLOAT:
      return Value::of_real(sqlite3_value_double(v));
    case SQLITE_TEXT:
      return Value::of_text(std::string(reinterpret_cast<const char*>(sqlite3_value_text(v)),
                                        static_cast<std::size_t>(sqlite3_value_bytes(v))));
    case SQLITE_NULL:
      return Value::null();
    default:
      return Value::other();
  }
}

// A stored value passed on as it is. Not sqlite3_result_value: its copy of
// a text or blob allocates on every call, where sqlite3_result_text reuses
// the result register's buffer from row to row (a scan returns millions).
void result_stored(sqlite3_context* ctx, sqlite3_value* v) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_INTEGER:
      return sqlite3_result_int64(ctx, sqlite3_value_int64(v));
    case SQLITE_FLOAT:
      return sqlite3_result_double(ctx, sqlite3_value_double(v));
    case SQLITE_TEXT: {
      // The bytes as stored (the connection is UTF-8): sqlite3_value_text
      // would first copy them to add a terminator.
      const void* text = sqlite3_value_blob(v);
      const int bytes = sqlite3_value_bytes(v);
      if (!text && bytes > 0) return sqlite3_result_error_nomem(ctx);
      return sqlite3_result_text(ctx, text ? static_cast<const char*>(text) : "", bytes,
                                 SQLITE_TRANSIENT);
    }
    case SQLITE_BLOB: {
      const void* blob = sqlite3_value_blob(v);
      const int bytes = sqlite3_value_bytes(v);
      if (bytes == 0) return sqlite3_result_zeroblob(ctx, 0);  // x'', not NULL
      if (!blob) return sqlite3_result_error_nomem(ctx);
      return sqlite3_result_blob(ctx, blob, bytes, SQLITE_TRANSIENT);
    }
    default:
      return sqlite3_result_null(ctx);
  }
}

void result_of(sqlite3_context* ctx, const Value& v) {
  switch (v.kind) {
    case Value::Kind::kInt:
      sqlite3_result_int64(ctx, v.integer);
      break;
    case Value::Kind::kReal:
      sqlite3_result_double(ctx, v.real);
      break;
    case Value::Kind::kText:
      sqlite3_result_text(ctx, v.text.data(), static_cast<int>(v.text.size()), SQLITE_TRANSIENT);
      break;
    case Value::Kind::kBool:
      sqlite3_result_int(ctx, v.boolean);
      break;
    default:
      sqlite3_result_null(ctx);
  }
}

// What one statement reads, learnt from the authorizer while it prepares.
struct StatementInfo {
  std::vector<std::pair<std::int32_t, std::int32_t>> columns;  // (view, column), unique
  std::vector<std::int32_t> tables;                            // views, unique
  void add_table(std::int32_t t) {
    if (std::find(tables.begin(), tables.end(), t) == tables.end()) tables.push_back(t);
  }
  void add_column(std::int32_t t, std::int32_t c) {
    add_table(t);
    if (std::find(columns.begin(), columns.end(), std::make_pair(t, c)) == columns.end()) {
      columns.emplace_back(t, c);
    }
  }
};

struct CachedStatement {
  std::string sql;
  sqlite3_stmt* stmt = nullptr;
  StatementInfo info;
  std::vector<std::string> names;  // result column names
  std::uint64_t last_use = 0;
};

// How the cells of one column fared in one statement, for its audit record.
struct ColumnSummary {
  bool allowed = false;
  int tier = -1;  // of the most revealing transform returned
  std::uint32_t transform = 0;
  std::int32_t rule = -1;
  std::uint32_t withheld = 0;  // bit per Reason
};

}  // namespace

// ---- Database ----

class CUSTOS_NO_EXPORT Database::Impl {
 public:
  Impl(const Engine& e) : engine(e) {}
  std::string path;
  const Engine& engine;
  DatabaseOptions options;
  guard::DbSchema schema;
};

Database::Database(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Database::~Database() = default;

namespace {

Result<sqlite3*> open_read_only(const std::string& path) {
  sqlite3* db = nullptr;
  // Read-only, and never created: the app's file stays byte-identical.
  const int rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string message = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return Status(StatusCode::kIoError, path + ": cannot open the database: " + message);
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, nullptr);
  sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
  sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 100 * 1000 * 1000);
  return db;
}

}  // namespace

Result<std::unique_ptr<Database>> Database::open(const std::string& path, const Engine& engine,
                                                 DatabaseOptions options) {
  auto impl = std::make_unique<Impl>(engine);
  impl->path = path;
  impl->options = options;
  auto db = open_read_only(path);
  if (!db.ok()) return db.status();
  auto schema = guard::read_schema(*db);
  sqlite3_close_v2(*db);
  if (!schema.ok()) {
    return Status(StatusCode::kCorruption,
                  path + ": not a readable SQLite database: " + schema.status().message());
  }
  impl->schema = std::move(*schema);
  const auto policy = detail::EngineAccess::policy(engine);
  if (Status s = guard::check_bindings(impl->schema, detail::PolicyAccess::compiled(*policy));
      !s.ok()) {
    return Status(StatusCode::kInvalidArgument, path + ": " + s.message());
  }
  return detail::GuardAccess::make_unique<Database>(std::move(impl));
}

// ---- Session ----

class CUSTOS_NO_EXPORT Session::Impl {
 public:
  Impl(const DatabaseImpl& database, SessionOptions options)
      : db(database), who(std::move(options)) {
    request.actor.id = who.actor_id.empty() ? std::nullopt : std::optional(who.actor_id);
    request.actor.roles = who.roles;
    request.actor.attributes = who.actor_attributes;
    request.action = who.action;
    request.purpose = who.purpose;
    request.context = who.context;
    request.time = who.time;
  }
  ~Impl() {
    finish_active();
    clear_cache();
    sqlite3_close_v2(conn);
  }

  Status start();
  Result<Rows> query(std::string_view sql, const std::vector<Value>& params);

  // SQLite callbacks.
  int authorize(int action, const char* a, const char* b, const char* c, const char* d);
  int progress();

  // The virtual-table module's work (vtab callbacks below).
  struct Cursor {
    sqlite3_vtab_cursor base{};  // first: SQLite's view of the cursor
    std::int32_t table = -1;
    int seek = 0;  // how its statement finds rows (best_index's idxNum; 0 scans)
    sqlite3_stmt* stmt = nullptr;
    bool eof = true;
    sqlite3_int64 rowid = 0;
    // The current row's verdicts, by table column: in `verdicts`, or, when
    // the table's verdicts depend on the row only through the subject's
    // consent, in `by_consent` (decided once per consent state, per filter).
    const detail::Verdict* row_verdicts = nullptr;
    std::vector<detail::Verdict> verdicts;
    bool consent_only = false;
    std::vector<detail::Verdict> by_consent;          // consent key x table column
    unsigned consent_known = 0, consent_granted = 0;  // bit per consent key
    std::string subject;                              // the admitted row's, when audited
    bool subject_decimal = false;
  };
  const guard::PlannedTable* planned(std::int32_t table) const {
    return table >= 0 && static_cast<std::size_t>(table) < plan_.tables.size()
               ? &plan_.tables[static_cast<std::size_t>(table)]
               : nullptr;
  }
  int best_index(std::int32_t table, sqlite3_index_info* info) const;
  int filter(Cursor& cursor, int seek, int argc, sqlite3_value** argv, char** error);
  int advance(Cursor& cursor, char** error);
  void column(Cursor& cursor, sqlite3_context* ctx, int visible);
  void release(Cursor& cursor) noexcept;
  // Cursors are kept for the next statement (one is opened per table read,
  // per execution): a point lookup then allocates none.
  Cursor* take_cursor() {
    if (free_cursors_.empty()) return new Cursor;
    Cursor* c = free_cursors_.back().release();
    free_cursors_.pop_back();
    c->base = sqlite3_vtab_cursor{};
    c->seek = 0;
    c->stmt = nullptr;
    c->eof = true;
    c->rowid = 0;
    c->row_verdicts = nullptr;
    c->subject.clear();
    return c;
  }
  void give_back(Cursor* cursor) noexcept {
    try {
      if (free_cursors_.size() < 16) {
        free_cursors_.emplace_back(cursor);
        return;
      }
    } catch (...) {  // no room to keep it: it goes
    }
    delete cursor;
  }

  // The current statement ends: its audit record goes to the sink.
  Status finish_statement(CachedStatement& statement, std::uint64_t rows, const std::string& error);
  void finish_active();

  const DatabaseImpl& db;
  SessionOptions who;
  Request request;
  sqlite3* conn = nullptr;
  RowsImpl* active = nullptr;
  Cursor* stepping = nullptr;  // whose guard SELECT is stepping (custos_admit)

 private:
  Status refresh_plan();
  void clear_cache();
  bool admit(Cursor& cursor, sqlite3_value** args, int count);
  friend void admit_function(sqlite3_context* ctx, int argc, sqlite3_value** argv);
  Result<sqlite3_stmt*> internal_statement(std::int32_t table, int seek);
  Status refused(std::string_view sql, StatusCode code, const std::string& why);
  AccessRecord record_base(std::string_view sql) const;

  std::unique_ptr<detail::RowDecider> decider_;
  guard::Plan plan_;
  std::vector<CachedStatement> cache_;
  std::vector<std::unique_ptr<Cursor>> free_cursors_;
  std::uint64_t uses_ = 0;
  StatementInfo* collecting_ = nullptr;  // where the authorizer notes reads
  std::string refusal_;                  // why the authorizer refused
  bool internal_ = false;                // preparing the guard's own SELECT
  // The guard's own SELECTs, free for a cursor to take, by (table, seek).
  std::map<std::pair<std::int32_t, int>, std::vector<sqlite3_stmt*>> pool_;
  std::vector<std::string> subjects_;
  bool subjects_ordered_ = true;  // subjects_ in AccessRecord order, each once
  bool last_subject_decimal_ = false;
  // The row being admitted's subject: an integer's digits in
  // subject_digits_, a text in place in the guard's SELECT (until its step).
  std::string_view subject_;
  char subject_digits_[24];
  std::vector<std::vector<ColumnSummary>> summaries_;  // by view, column
  Timestamp started_ = 0;
  std::uint64_t steps_ = 0;
};

namespace {

// No C++ exception may unwind through SQLite's C frames: each callback runs
// its C++ inside `boundary`, and an exception (out of memory, in practice)
// becomes an SQLite error code, so the statement fails and says why.
template <typename F>
int boundary(int on_exception, F&& f) noexcept {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return SQLITE_NOMEM;
  } catch (...) {
    return on_exception;
  }
}

int authorizer_callback(void* user, int action, const char* a, const char* b, const char* c,
                        const char* d) {
  // Fails closed: an authorizer that cannot finish denies.
  const int rc = boundary(
      SQLITE_DENY, [&] { return static_cast<SessionImpl*>(user)->authorize(action, a, b, c, d); });
  return rc == SQLITE_NOMEM ? SQLITE_DENY : rc;
}

// ---- the virtual-table module: SQLite's callbacks, forwarded to the session ----

struct GuardVtab {
  sqlite3_vtab base{};  // first: SQLite's view of the table
  SessionImpl* session = nullptr;
  std::int32_t table = -1;
};

using Cursor = SessionImpl::Cursor;

int create_vtab(sqlite3* db, void* aux, int argc, const char* const* argv, sqlite3_vtab** out,
                char** error);

int vtab_create(sqlite3* db, void* aux, int argc, const char* const* argv, sqlite3_vtab** out,
                char** error) {
  return boundary(SQLITE_ERROR, [&] { return create_vtab(db, aux, argc, argv, out, error); });
}

int create_vtab(sqlite3* db, void* aux, int argc, const char* const* argv, sqlite3_vtab** out,
                char** error) {
  auto* session = static_cast<SessionImpl*>(aux);
  const std::int32_t table = argc > 3 ? std::atoi(argv[3]) : -1;
  const guard::PlannedTable* t = session->planned(table);
  if (!t) {
    *error = sqlite3_mprintf("custos: no such guarded table");
    return SQLITE_ERROR;
  }
  if (const int rc = sqlite3_declare_vtab(db, t->declare_sql.c_str()); rc != SQLITE_OK) return rc;
  // Only the session's own statements may use it, never a view or trigger.
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY);
  auto* vtab = new GuardVtab;
  vtab->session = session;
  vtab->table = table;
  *out = &vtab->base;
  return SQLITE_OK;
}

int vtab_disconnect(sqlite3_vtab* vtab) {
  delete reinterpret_cast<GuardVtab*>(vtab);
  return SQLITE_OK;
}

int vtab_best_index(sqlite3_vtab* vtab, sqlite3_index_info* info) {
  auto* v = reinterpret_cast<GuardVtab*>(vtab);
  return boundary(SQLITE_ERROR, [&] { return v->session->best_index(v->table, info); });
}

int vtab_open(sqlite3_vtab* vtab, sqlite3_vtab_cursor** out) {
  auto* v = reinterpret_cast<GuardVtab*>(vtab);
  return boundary(SQLITE_ERROR, [&] {
    Cursor* cursor = v->session->take_cursor();
    cursor->table = v->table;
    *out = &cursor->base;
    return SQLITE_OK;
  });
}

int vtab_close(sqlite3_vtab_cursor* base) {
  auto* cursor = reinterpret_cast<Cursor*>(base);
  SessionImpl* session = reinterpret_cast<GuardVtab*>(base->pVtab)->session;
  session->release(*cursor);
  session->give_back(cursor);  // noexcept: a full pool deletes the cursor
  return SQLITE_OK;
}

int vtab_filter(sqlite3_vtab_cursor* base, int seek, const char*, int argc, sqlite3_value** argv) {
  auto* cursor = reinterpret_cast<Cursor*>(base);
  auto* v = reinterpret_cast<GuardVtab*>(base->pVtab);
  return boundary(SQLITE_ERROR,
                  [&] { return v->session->filter(*cursor, seek, argc, argv, &v->base.zErrMsg); });
}

int vtab_next(sqlite3_vtab_cursor* base) {
  auto* v = reinterpret_cast<GuardVtab*>(base->pVtab);
  return boundary(SQLITE_ERROR, [&] {
    return v->session->advance(*reinterpret_cast<Cursor*>(base), &v->base.zErrMsg);
  });
}

int vtab_eof(sqlite3_vtab_cursor* base) {
  return reinterpret_cast<Cursor*>(base)->eof ? 1 : 0;
}

int vtab_column(sqlite3_vtab_cursor* base, sqlite3_context* ctx, int column) {
  const int rc = boundary(SQLITE_ERROR, [&] {
    reinterpret_cast<GuardVtab*>(base->pVtab)
        ->session->column(*reinterpret_cast<Cursor*>(base), ctx, column);
    return SQLITE_OK;
  });
  if (rc == SQLITE_NOMEM) sqlite3_result_error_nomem(ctx);
  if (rc == SQLITE_ERROR) sqlite3_result_error(ctx, "custos: cannot decide the cell", -1);
  return rc;
}

// Never reached: the authorizer refuses every INSERT, UPDATE and DELETE.
// It exists because SQLite fails an UPDATE or DELETE of a virtual table
// without xUpdate with its own error ("table X may not be modified")
// before it asks the authorizer; with it, a write to a session's table is
// refused like every other write (kRefused, the same message, CLI exit 3).
int vtab_update(sqlite3_vtab* vtab, int, sqlite3_value**, sqlite3_int64*) {
  sqlite3_free(vtab->zErrMsg);
  vtab->zErrMsg = sqlite3_mprintf("%s", kReadOnly);
  return SQLITE_READONLY;
}

// A row's position among the rows this cursor returned: nothing about the
// table's storage.
int vtab_rowid(sqlite3_vtab_cursor* base, sqlite3_int64* rowid) {
  *rowid = reinterpret_cast<Cursor*>(base)->rowid;
  return SQLITE_OK;
}

const sqlite3_module kGuardModule = {
    /* iVersion */ 0,
    /* xCreate */ vtab_create,
    /* xConnect */ vtab_create,
    /* xBestIndex */ vtab_best_index,
    /* xDisconnect */ vtab_disconnect,
    /* xDestroy */ vtab_disconnect,
    /* xOpen */ vtab_open,
    /* xClose */ vtab_close,
    /* xFilter */ vtab_filter,
    /* xNext */ vtab_next,
    /* xEof */ vtab_eof,
    /* xColumn */ vtab_column,
    /* xRowid */ vtab_rowid,
    /* xUpdate */ vtab_update,
    /* xBegin */ nullptr,
    /* xSync */ nullptr,
    /* xCommit */ nullptr,
    /* xRollback */ nullptr,
    /* xFindFunction */ nullptr,
    /* xRename */ nullptr,
    /* xSavepoint */ nullptr,
    /* xRelease */ nullptr,
    /* xRollbackTo */ nullptr,
    /* xShadowName */ nullptr,
};

}  // namespace

// custos_admit(subject, collected, attributes...): 1 when the session may
// see the row (its verdicts are then with the cursor), else 0. Only the
// guard's own SELECTs can call it: the authorizer refuses it to a session's
// statements, and it decides for the cursor whose SELECT the session is
// stepping (advance), so a call from anywhere else finds none and fails.
// The cursor is known to the session rather than passed as an argument: a
// pointer argument costs a type-name comparison and a register copy per row.
void admit_function(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  auto* session = static_cast<SessionImpl*>(sqlite3_user_data(ctx));
  SessionImpl::Cursor* cursor = session->stepping;
  if (!cursor) return sqlite3_result_error(ctx, "custos_admit: not the guard's own SELECT", -1);
  const int admitted = boundary(-1, [&] { return session->admit(*cursor, argv, argc) ? 1 : 0; });
  // A row that cannot be decided fails the statement (never shown, never
  // silently dropped from a count).
  if (admitted == SQLITE_NOMEM) return sqlite3_result_error_nomem(ctx);
  if (admitted < 0) return sqlite3_result_error(ctx, "custos: cannot decide the row", -1);
  sqlite3_result_int(ctx, admitted);
}

namespace {

int progress_callback(void* user) {
  return static_cast<SessionImpl*>(user)->progress();
}

}  // namespace

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

Result<std::unique_ptr<Session>> Database::session(SessionOptions who) const {
  auto impl = std::make_unique<SessionImpl>(*impl_, std::move(who));
  if (Status s = impl->start(); !s.ok()) return s;
  return detail::GuardAccess::make_unique<Session>(std::move(impl));
}

Status Session::Impl::start() {
  auto opened = open_read_only(db.path);
  if (!opened.ok()) return opened.status();
  conn = *opened;
  // Temp tables live in memory, never in a file beside the app's; and no
  // automatic index is built from a table's raw rows.
  char* message = nullptr;
  if (sqlite3_exec(conn, "PRAGMA temp_store = MEMORY; PRAGMA automatic_index = OFF", nullptr,
                   nullptr, &message) != SQLITE_OK) {
    const std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    return Status(StatusCode::kIoError, db.path + ": " + text);
  }
  if (sqlite3_create_module_v2(conn, "custos_guard", &kGuardModule, this, nullptr) != SQLITE_OK ||
      sqlite3_create_function_v2(conn, "custos_admit", -1, SQLITE_UTF8 | SQLITE_DIRECTONLY, this,
                                 admit_function, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Status(StatusCode::kInternal, "cannot register the guard's virtual tables");
  }
  if (db.options.max_statement_steps > 0) {
    sqlite3_progress_handler(conn, 1000, progress_callback, this);
  }
  return refresh_plan();
}

// Builds the session's virtual tables for the engine's current policy (first
// use, and after each reload): statement by statement, the decider is
// checked against the engine, so a reload applies from the next statement.
Status Session::Impl::refresh_plan() {
  const auto current = detail::EngineAccess::policy(db.engine);
  if (decider_ && &decider_->policy() == current.get()) {
    decider_->begin_statement();
    return Status();
  }
  finish_active();
  clear_cache();
  auto decider = std::make_unique<detail::RowDecider>(db.engine, request);
  auto plan = guard::make_plan(db.schema, *decider, db.options.lenient);
  if (!plan.ok()) return plan.status();
  sqlite3_set_authorizer(conn, nullptr, nullptr);
  std::string drop;
  for (const auto& t : plan_.tables)
    drop += "DROP TABLE IF EXISTS temp." + guard::quote_name(t.name) + ";";
  char* message = nullptr;
  int rc = sqlite3_exec(conn, drop.c_str(), nullptr, nullptr, &message);
  plan_ = std::move(*plan);
  decider_ = std::move(decider);
  std::string create;
  for (std::size_t i = 0; i < plan_.tables.size() && rc == SQLITE_OK; ++i) {
    create += "CREATE VIRTUAL TABLE temp." + guard::quote_name(plan_.tables[i].name) +
              " USING custos_guard(" + std::to_string(i) + ");";
  }
  if (rc == SQLITE_OK) rc = sqlite3_exec(conn, create.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    const std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    plan_ = guard::Plan{};
    decider_.reset();
    return Status(StatusCode::kInternal, "cannot set up the session's tables: " + text);
  }
  sqlite3_set_authorizer(conn, authorizer_callback, this);
  summaries_.assign(plan_.tables.size(), {});
  for (std::size_t t = 0; t < plan_.tables.size(); ++t) {
    summaries_[t].resize(plan_.tables[t].columns.size());
  }
  return Status();
}

void Session::Impl::clear_cache() {
  for (auto& c : cache_) sqlite3_finalize(c.stmt);
  cache_.clear();
  for (auto& [key, statements] : pool_) {
    for (sqlite3_stmt* s : statements) sqlite3_finalize(s);
  }
  pool_.clear();
}

int Session::Impl::authorize(int action, const char* a, const char* b, const char* c,
                             const char* d) {
  const std::string_view arg1 = a ? a : "", arg2 = b ? b : "", database = c ? c : "";
  if (internal_) {
    // The guard's own SELECT (plan.hpp): it reads the bound table and the
    // tables its `via` references reach, nothing else.
    return action == SQLITE_SELECT || action == SQLITE_READ ||
                   (action == SQLITE_FUNCTION && arg2 == "custos_admit")
               ? SQLITE_OK
               : SQLITE_DENY;
  }
  switch (action) {
    case SQLITE_SELECT:
    case SQLITE_RECURSIVE:
      return SQLITE_OK;
    case SQLITE_READ: {
      if (guard::same_name(database, "temp")) {
        const std::int32_t t = plan_.table_index(arg1);
        if (t >= 0) {  // one of the session's tables
          if (collecting_) {
            const auto& columns = plan_.tables[static_cast<std::size_t>(t)].columns;
            collecting_->add_table(t);
            for (std::size_t i = 0; i < columns.size(); ++i) {
              if (guard::same_name(columns[i].name, arg2)) {
                collecting_->add_column(t, static_cast<std::int32_t>(i));
              }
            }
          }
          return SQLITE_OK;
        }
      }
      // A read of no column (count(*)) of a name not qualified with a
      // schema: SQLite gives no schema. It is the session's table, a CTE of
      // the statement, or a table of main that the session may not count.
      if (arg2.empty() && database.empty() && !is_schema_table(arg1) &&
          (plan_.table(arg1) || !db.schema.table(arg1))) {
        if (collecting_ && plan_.table(arg1)) collecting_->add_table(plan_.table_index(arg1));
        return SQLITE_OK;
      }
      const guard::DbTable* app_view = d ? db.schema.table(d) : nullptr;
      if (is_schema_table(arg1)) {
        refusal_ = std::string(arg1) + ": the schema tables cannot be read in a guarded session";
      } else if (app_view && app_view->is_view && guard::same_name(database, "main")) {
        refusal_ = app_view->name + ": app-defined views cannot be read in a guarded session";
      } else if (guard::same_name(database, "main") && plan_.table(arg1)) {
        refusal_ = "main." + std::string(arg1) + ": a guarded session reads " + std::string(arg1) +
                   " only through its own view (write " + std::string(arg1) + ", not main." +
                   std::string(arg1) + ")";
      } else if (guard::same_name(database, "main") && db.schema.table(arg1)) {
        refusal_ = std::string(arg1) + ": unbound_table (the policy has no binding for it)";
      } else {
        refusal_ = std::string(arg1) + ": not readable in a guarded session";
      }
      return SQLITE_DENY;
    }
    case SQLITE_FUNCTION:
      if (allowed_function(arg2)) return SQLITE_OK;
      refusal_ = std::string(arg2) + "(): not allowed in a guarded session";
      return SQLITE_DENY;
    case SQLITE_PRAGMA:
      refusal_ = "PRAGMA " + std::string(arg1) + ": guarded sessions run no PRAGMA";
      return SQLITE_DENY;
    case SQLITE_ATTACH:
    case SQLITE_DETACH:
      refusal_ = "ATTACH and DETACH are refused in a guarded session";
      return SQLITE_DENY;
    case SQLITE_UPDATE:
      // SQLite sets up a virtual table (dbstat, json_each, pragma_table_info,
      // sqlite_stmt...) through an UPDATE of the schema table; a statement's
      // own UPDATE of it fails before the authorizer is asked.
      if (is_schema_table(arg1)) {
        refusal_ =
            "virtual tables and table-valued functions (dbstat, json_each, pragma_..., "
            "sqlite_stmt) cannot be read in a guarded session";
        return SQLITE_DENY;
      }
      break;
    default:
      break;
  }
  refusal_ = kWriteRefused;
  return SQLITE_DENY;
}

int Session::Impl::progress() {
  steps_ += 1000;
  return steps_ > db.options.max_statement_steps ? 1 : 0;
}

// ---- the guarded tables ----

// Finds rows by one column returned as stored, when an index serves it and
// the statement constrains it: to one value, or to a range. Else scans. The
// constraints are not marked omitted: SQLite checks them again on the rows
// returned, so the guard's SELECT only has to find no fewer.
//
// idxNum encodes the plan: the visible column's index + 1, times 32, plus
// which bounds are used (kEq, or kLower and/or kUpper, each strict or not);
// idxStr is unused.
namespace {
constexpr int kEq = 1, kLower = 2, kUpper = 4, kLowerStrict = 8, kUpperStrict = 16, kPlans = 32;
}  // namespace

int Session::Impl::best_index(std::int32_t table, sqlite3_index_info* info) const {
  const guard::PlannedTable* t = planned(table);
  int best_column = -1, best_rank = 0;
  for (int i = 0; t && i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (!c.usable || c.iColumn < 0 || static_cast<std::size_t>(c.iColumn) >= t->visible.size()) {
      continue;
    }
    const bool comparison =
        c.op == SQLITE_INDEX_CONSTRAINT_EQ || c.op == SQLITE_INDEX_CONSTRAINT_GT ||
        c.op == SQLITE_INDEX_CONSTRAINT_GE || c.op == SQLITE_INDEX_CONSTRAINT_LT ||
        c.op == SQLITE_INDEX_CONSTRAINT_LE;
    if (!comparison) continue;
    const auto& column =
        t->columns[static_cast<std::size_t>(t->visible[static_cast<std::size_t>(c.iColumn)])];
    // An equality ranks above a range on any column.
    const int rank = static_cast<int>(column.seek) * 2 + (c.op == SQLITE_INDEX_CONSTRAINT_EQ);
    if (column.seek != guard::PlannedColumn::Seek::kNone && rank > best_rank) {
      best_column = c.iColumn;
      best_rank = rank;
    }
  }
  if (best_column < 0) {
    info->idxNum = 0;
    info->estimatedCost = 1e6;
    info->estimatedRows = 1000000;
    return SQLITE_OK;
  }
  int eq = -1, lower = -1, upper = -1;
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (!c.usable || c.iColumn != best_column) continue;
    if (c.op == SQLITE_INDEX_CONSTRAINT_EQ && eq < 0) eq = i;
    if ((c.op == SQLITE_INDEX_CONSTRAINT_GT || c.op == SQLITE_INDEX_CONSTRAINT_GE) && lower < 0) {
      lower = i;
    }
    if ((c.op == SQLITE_INDEX_CONSTRAINT_LT || c.op == SQLITE_INDEX_CONSTRAINT_LE) && upper < 0) {
      upper = i;
    }
  }
  int flags = 0, argv = 0;
  if (eq >= 0) {
    info->aConstraintUsage[eq].argvIndex = ++argv;
    flags = kEq;
  } else {
    if (lower >= 0) {
      info->aConstraintUsage[lower].argvIndex = ++argv;
      flags |= kLower;
      if (info->aConstraint[lower].op == SQLITE_INDEX_CONSTRAINT_GT) flags |= kLowerStrict;
    }
    if (upper >= 0) {
      info->aConstraintUsage[upper].argvIndex = ++argv;
      flags |= kUpper;
      if (info->aConstraint[upper].op == SQLITE_INDEX_CONSTRAINT_LT) flags |= kUpperStrict;
    }
  }
  info->idxNum = (best_column + 1) * kPlans + flags;
  const auto seek =
      t->columns[static_cast<std::size_t>(t->visible[static_cast<std::size_t>(best_column)])].seek;
  const bool unique = seek != guard::PlannedColumn::Seek::kIndexed;
  if (flags == kEq) {
    info->estimatedCost = unique ? 2.0 : 20.0;
    info->estimatedRows = unique ? 1 : 10;
    if (unique) info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
  } else {
    info->estimatedCost = flags == (kLower | kUpper) ? 2e4 : 2e5;
    info->estimatedRows = flags == (kLower | kUpper) ? 10000 : 100000;
  }
  return SQLITE_OK;
}

Result<sqlite3_stmt*> Session::Impl::internal_statement(std::int32_t table, int seek) {
  auto& free = pool_[{table, seek}];
  if (!free.empty()) {
    sqlite3_stmt* s = free.back();
    free.pop_back();
    return s;
  }
  const guard::PlannedTable& t = *planned(table);
  std::string where;
  if (seek > 0) {
    const int visible = seek / kPlans - 1, flags = seek % kPlans;
    const auto& column =
        t.columns[static_cast<std::size_t>(t.visible[static_cast<std::size_t>(visible)])];
    const std::string name = "custos_t." + guard::quote_name(column.name);
    const std::string lower = name + ((flags & kLowerStrict) ? " > " : " >= ");
    const std::string upper = name + ((flags & kUpperStrict) ? " < " : " <= ");
    if (flags & kEq) {
      where = name + " = ?1";
    } else if ((flags & kLower) && (flags & kUpper)) {
      where = lower + "?1 AND " + upper + "?2";
    } else if (flags & kLower) {
      where = lower + "?1";
    } else if (flags & kUpper) {
      where = upper + "?1";
    }
  }
  // The row filter last: SQLite tests it on the rows the seek finds.
  if (!t.admit.empty()) where += (where.empty() ? "" : " AND ") + t.admit;
  std::string sql = t.select;
  if (!where.empty()) sql += " WHERE " + where;
  sqlite3_stmt* s = nullptr;
  internal_ = true;
  const int rc = sqlite3_prepare_v3(conn, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  internal_ = false;
  if (rc != SQLITE_OK) {
    sqlite3_finalize(s);
    return Status(StatusCode::kInternal,
                  std::string("cannot read ") + t.name + ": " + sqlite3_errmsg(conn));
  }
  return s;
}

void Session::Impl::release(Cursor& cursor) noexcept {
  if (!cursor.stmt) return;
  sqlite3_reset(cursor.stmt);
  sqlite3_clear_bindings(cursor.stmt);
  try {
    pool_[{cursor.table, cursor.seek}].push_back(cursor.stmt);
  } catch (...) {  // no room to keep it for the next cursor: it goes
    sqlite3_finalize(cursor.stmt);
  }
  cursor.stmt = nullptr;
}

int Session::Impl::filter(Cursor& cursor, int seek, int argc, sqlite3_value** argv, char** error) {
  const guard::PlannedTable* t = planned(cursor.table);
  cursor.eof = true;
  cursor.rowid = 0;
  if (!t || !decider_ || t->visible.empty()) return SQLITE_OK;  // nothing readable
  if (cursor.stmt && cursor.seek != seek) release(cursor);
  if (!cursor.stmt) {
    auto s = internal_statement(cursor.table, seek);
    if (!s.ok()) {
      *error = sqlite3_mprintf("%s", s.status().message().c_str());
      return SQLITE_ERROR;
    }
    cursor.stmt = *s;
    cursor.seek = seek;
  } else {
    sqlite3_reset(cursor.stmt);
  }
  for (int i = 0; i < argc; ++i) sqlite3_bind_value(cursor.stmt, i + 1, argv[i]);
  cursor.verdicts.resize(t->columns.size());
  cursor.row_verdicts = cursor.verdicts.data();
  // Decided once per consent state when no column's verdict reads anything
  // else of the row (no condition, no retention, no subject attribute).
  cursor.consent_only = t->attribute_slots.empty();
  for (const PlannedColumn& column : t->columns) {
    if (column.kind == PlannedColumn::Kind::kGuarded) {
      cursor.consent_only =
          cursor.consent_only && decider_->depends_on_consent_only(column.category);
    }
  }
  cursor.by_consent.resize(detail::RowDecider::kConsentKeys * t->columns.size());
  cursor.consent_known = cursor.consent_granted = 0;
  return advance(cursor, error);
}

int Session::Impl::advance(Cursor& cursor, char** error) {
  while (true) {
    // custos_admit decides for this cursor while its SELECT steps (guard
    // SELECTs read only tables, so no other cursor steps meanwhile).
    stepping = &cursor;
    const int rc = sqlite3_step(cursor.stmt);
    stepping = nullptr;
    if (rc == SQLITE_ROW) {  // admitted by custos_admit (a public table's: any row)
      const guard::PlannedTable& t = plan_.tables[static_cast<std::size_t>(cursor.table)];
      if (!t.is_public && db.options.audit && !cursor.subject.empty() &&
          (subjects_.empty() || subjects_.back() != cursor.subject)) {
        subjects_ordered_ =
            subjects_ordered_ &&
            (subjects_.empty() || subject_before(last_subject_decimal_, subjects_.back(),
                                                 cursor.subject_decimal, cursor.subject));
        subjects_.push_back(cursor.subject);
        last_subject_decimal_ = cursor.subject_decimal;
      }
      cursor.eof = false;
      ++cursor.rowid;
      return SQLITE_OK;
    }
    cursor.eof = true;
    if (rc == SQLITE_DONE) return SQLITE_OK;
    *error = sqlite3_mprintf("%s", sqlite3_errmsg(conn));
    return rc;
  }
}

// Decides a row of the cursor's table: whether the session may see it, and
// every guarded cell of it (kept with the cursor, since another cursor may
// decide its own rows before this one's cells are read). Called by
// custos_admit in the guard's own SELECT, so a row turned down is neither
// decoded further nor returned. `args`: the row's subject, collection time,
// then its bound subject attributes (plan.hpp, PlannedTable::admit).
bool Session::Impl::admit(Cursor& cursor, sqlite3_value** args, int count) {
  const guard::PlannedTable& t = plan_.tables[static_cast<std::size_t>(cursor.table)];
  if (t.is_public) return true;
  if (count != 2 + static_cast<int>(t.attribute_slots.size())) return false;  // fail closed
  // Subject ids compare as text: an integer is its decimal form. A row
  // without a subject has no consent records.
  // An integer subject is looked up by its value and formatted only for
  // the audit record.
  subject_ = std::string_view();
  bool subject_decimal = false;
  bool subject_is_id = false;
  sqlite3_int64 subject_id = 0;
  switch (sqlite3_value_type(args[0])) {
    case SQLITE_INTEGER:
      subject_id = sqlite3_value_int64(args[0]);
      subject_is_id = true;
      subject_decimal = subject_id >= 0;
      break;
    case SQLITE_TEXT: {
      // The bytes as stored (blob: no copy to add a terminator).
      const auto* text = static_cast<const char*>(sqlite3_value_blob(args[0]));
      if (text)
        subject_ = std::string_view(text, static_cast<std::size_t>(sqlite3_value_bytes(args[0])));
      subject_decimal = is_decimal(subject_);
      break;
    }
    default:
      break;
  }
  std::optional<Timestamp> collected;
  switch (t.has_collected ? sqlite3_value_type(args[1]) : SQLITE_NULL) {
    case SQLITE_INTEGER:
      collected = sqlite3_value_int64(args[1]);
      break;
    case SQLITE_FLOAT: {
      const double v = sqlite3_value_double(args[1]);
      if (std::isfinite(v) && std::fabs(v) < 1e15)
        collected = static_cast<Timestamp>(std::floor(v));
      break;
    }
    case SQLITE_TEXT: {
      const auto* text = static_cast<const char*>(sqlite3_value_blob(args[1]));
      collected = detail::parse_stored_time(
          text ? std::string_view(text, static_cast<std::size_t>(sqlite3_value_bytes(args[1])))
               : std::string_view());
      break;
    }
    default:
      break;
  }
  if (subject_is_id) {
    decider_->begin_row_id(subject_id, collected);
  } else {
    decider_->begin_row(subject_, collected);
  }
  for (std::size_t k = 0; k < t.attribute_slots.size(); ++k) {
    decider_->set_subject_attribute(t.attribute_slots[k], value_of(args[2 + k]));
  }
  // A row is kept when its subject passes consent and objection for the
  // purpose and, if the table has columns rules may grant, some rule grants
  // one of them for this subject (conditions on subject attributes).
  if (!decider_->purpose_consent_passes()) return false;
  const auto decide_row = [&](detail::Verdict* verdicts) {
    bool granted = !t.any_guarded;
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
      if (t.columns[c].kind != PlannedColumn::Kind::kGuarded) continue;
      verdicts[c] = decider_->decide(t.columns[c].category);
      const Reason r = verdicts[c].reason;
      granted = granted || r == Reason::kNone || r >= Reason::kConsentMissing;
    }
    return granted;
  };
  bool granted;
  if (cursor.consent_only) {
    const unsigned key = decider_->consent_key();
    detail::Verdict* verdicts = &cursor.by_consent[key * t.columns.size()];
    if (!(cursor.consent_known & (1u << key))) {
      cursor.consent_known |= 1u << key;
      if (decide_row(verdicts)) cursor.consent_granted |= 1u << key;
    }
    cursor.row_verdicts = verdicts;
    granted = cursor.consent_granted & (1u << key);
  } else {
    granted = decide_row(cursor.verdicts.data());
  }
  if (!granted) return false;
  // Noted for the audit record when the row is returned (advance): SQLite
  // may still turn it down on another term of the guard's SELECT.
  if (db.options.audit) {
    if (subject_is_id) {
      const auto end =
          std::to_chars(subject_digits_, subject_digits_ + sizeof subject_digits_, subject_id).ptr;
      subject_ = std::string_view(subject_digits_, static_cast<std::size_t>(end - subject_digits_));
    }
    cursor.subject.assign(subject_.data(), subject_.size());
    cursor.subject_decimal = subject_decimal;
  }
  return true;
}

void Session::Impl::column(Cursor& cursor, sqlite3_context* ctx, int visible) {
  const guard::PlannedTable* t = planned(cursor.table);
  if (!t || cursor.eof || visible < 0 || static_cast<std::size_t>(visible) >= t->visible.size()) {
    return sqlite3_result_null(ctx);
  }
  const auto c = static_cast<std::size_t>(t->visible[static_cast<std::size_t>(visible)]);
  const PlannedColumn& planned_column = t->columns[c];
  sqlite3_value* value = sqlite3_column_value(cursor.stmt, planned_column.base);
  if (planned_column.kind == PlannedColumn::Kind::kPublic) return result_stored(ctx, value);
  if (planned_column.kind == PlannedColumn::Kind::kRefused) return sqlite3_result_null(ctx);
  const detail::Verdict& v = cursor.row_verdicts[c];
  ColumnSummary& summary = summaries_[static_cast<std::size_t>(cursor.table)][c];
  if (v.reason != Reason::kNone) {
    summary.withheld |= 1u << static_cast<unsigned>(v.reason);
    return sqlite3_result_null(ctx);
  }
  const detail::CompiledPolicy& cp = decider_->compiled();
  const Transform& transform = cp.transforms[v.transform];
  if (!summary.allowed || summary.transform != v.transform) {  // else nothing new to note
    const int tier = detail::transform_tier(transform);
    if (tier > summary.tier) {
      summary.allowed = true;
      summary.tier = tier;
      summary.transform = v.transform;
      summary.rule = v.rule;
    }
  }
  if (transform.kind == Transform::Kind::kPlain) return result_stored(ctx, value);
  if (transform.kind == Transform::Kind::kHash && decider_->hasher()) {
    // The engine's pseudonym of the value's text (an integer's decimal
    // form), without building Values; other types take the general path.
    const int type = sqlite3_value_type(value);
    if (type == SQLITE_TEXT || type == SQLITE_INTEGER) {
      std::string_view text;
      char digits[24];
      if (type == SQLITE_TEXT) {
        // As stored (blob: sqlite3_value_text would copy to add a terminator).
        const auto* bytes = static_cast<const char*>(sqlite3_value_blob(value));
        if (bytes)
          text = std::string_view(bytes, static_cast<std::size_t>(sqlite3_value_bytes(value)));
      } else {
        const auto end =
            std::to_chars(digits, digits + sizeof digits, sqlite3_value_int64(value)).ptr;
        text = std::string_view(digits, static_cast<std::size_t>(end - digits));
      }
      char pseudonym[16];
      detail::pseudonym_into(*decider_->hasher(), text, pseudonym);
      return sqlite3_result_text(ctx, pseudonym, sizeof pseudonym, SQLITE_TRANSIENT);
    }
  }
  result_of(ctx, decider_->apply(v, value_of(value)));
}

// ---- statements ----

AccessRecord Session::Impl::record_base(std::string_view sql) const {
  AccessRecord r;
  r.time = started_;
  r.actor = who.actor_id;
  r.roles = who.roles;
  r.purpose = who.purpose;
  r.action = who.action;
  r.sql = sql;
  r.fingerprint = fingerprint_of(sql);
  if (decider_) {
    const detail::CompiledPolicy& cp = decider_->compiled();
    r.policy.name_chars = cp.name_chars;
    r.policy.version = cp.version;
    r.policy.sha256 = cp.sha256;
  }
  return r;
}

// A refused statement: its record goes to the sink, and the caller gets the
// reason (or the sink's failure, which wins: nothing unlogged happens).
Status Session::Impl::refused(std::string_view sql, StatusCode code, const std::string& why) {
  if (db.options.audit) {
    AccessRecord r = record_base(sql);
    r.refused = true;
    r.refusal = why;
    if (Status s = db.options.audit->append(r); !s.ok()) {
      return Status(s.code(), "the audit sink failed, so the statement is refused: " + s.message());
    }
  }
  return Status(code, why);
}

Status Session::Impl::finish_statement(CachedStatement& statement, std::uint64_t rows,
                                       const std::string& error) {
  sqlite3_reset(statement.stmt);
  sqlite3_clear_bindings(statement.stmt);
  Status out;
  if (db.options.audit) {
    AccessRecord r = record_base(statement.sql);
    r.rows = rows;
    if (!error.empty()) r.refusal = error;
    for (std::int32_t t : statement.info.tables) {
      r.tables.push_back(plan_.tables[static_cast<std::size_t>(t)].name);
    }
    const detail::CompiledPolicy& cp = decider_->compiled();
    for (const auto& [t, c] : statement.info.columns) {
      const PlannedColumn& planned =
          plan_.tables[static_cast<std::size_t>(t)].columns[static_cast<std::size_t>(c)];
      AccessRecord::Column col;
      col.table = plan_.tables[static_cast<std::size_t>(t)].name;
      col.column = planned.name;
      col.category = planned.category_name;
      const ColumnSummary& s = summaries_[static_cast<std::size_t>(t)][static_cast<std::size_t>(c)];
      switch (planned.kind) {
        case PlannedColumn::Kind::kPublic:
          col.allowed = true;
          break;
        case PlannedColumn::Kind::kRefused:
          col.withheld.push_back(planned.refusal.reason);
          break;
        case PlannedColumn::Kind::kGuarded:
          col.allowed = s.allowed;
          if (s.allowed) {
            col.transform = cp.transforms[s.transform];
            if (s.rule >= 0) col.rule = cp.rule_ids[static_cast<std::size_t>(s.rule)];
          }
          for (unsigned reason = 0; reason < 32; ++reason) {
            if (s.withheld & (1u << reason)) col.withheld.push_back(static_cast<Reason>(reason));
          }
          break;
      }
      r.columns.push_back(std::move(col));
    }
    // Numeric ids in numeric order, then the others in byte order, each once.
    // A scan in id order collected them so (advance() kept track).
    if (!subjects_ordered_) {
      std::sort(subjects_.begin(), subjects_.end(), [](const std::string& a, const std::string& b) {
        return subject_before(is_decimal(a), a, is_decimal(b), b);
      });
      subjects_.erase(std::unique(subjects_.begin(), subjects_.end()), subjects_.end());
    }
    r.subjects = std::move(subjects_);
    if (Status s = db.options.audit->append(r); !s.ok()) {
      out = Status(s.code(), "the audit sink failed, so the read fails: " + s.message());
    }
  }
  subjects_.clear();
  subjects_ordered_ = true;
  for (auto& table : summaries_) std::fill(table.begin(), table.end(), ColumnSummary{});
  return out;
}

class CUSTOS_NO_EXPORT Rows::Impl {
 public:
  SessionImpl* session = nullptr;
  CachedStatement* statement = nullptr;
  Status status;
  std::uint64_t rows = 0;
  bool finished = false;
  bool on_row = false;

  void finish(const std::string& error) {
    if (finished) return;
    finished = true;
    on_row = false;
    const Status logged = session->finish_statement(*statement, rows, error);
    if (status.ok() && !logged.ok()) status = logged;
    if (session->active == this) session->active = nullptr;
  }
  int columns = 0;  // the statement's result columns
  sqlite3_stmt* current(int column) const {
    if (!on_row || column < 0 || column >= columns) return nullptr;
    return statement->stmt;
  }
};

void Session::Impl::finish_active() {
  if (!active) return;
  RowsImpl* rows = active;
  if (rows->status.ok()) {
    rows->status =
        Status(StatusCode::kInvalidArgument, "these rows were closed by the session's next query");
  }
  rows->finish("closed by the next query after " + std::to_string(rows->rows) + " rows");
}

Result<Rows> Session::Impl::query(std::string_view sql_view, const std::vector<Value>& params) {
  finish_active();
  const std::string_view sql = sql_view;  // copied only into a new cache entry
  started_ = detail::now_unix();
  if (Status s = refresh_plan(); !s.ok()) return refused(sql, s.code(), s.message());
  started_ = decider_->now();
  steps_ = 0;

  CachedStatement* statement = nullptr;
  for (auto& c : cache_) {
    if (c.sql == sql) statement = &c;
  }
  if (!statement) {
    CachedStatement fresh;
    fresh.sql = std::string(sql);
    refusal_.clear();
    collecting_ = &fresh.info;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(conn, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &fresh.stmt, &tail);
    collecting_ = nullptr;
    if (rc != SQLITE_OK || !fresh.stmt) {
      sqlite3_finalize(fresh.stmt);
      if (!refusal_.empty() || (rc & 0xff) == SQLITE_AUTH) {
        return refused(sql, StatusCode::kRefused,
                       refusal_.empty() ? std::string("refused by the guard") : refusal_);
      }
      const std::string message = rc == SQLITE_OK ? "no statement to run" : sqlite3_errmsg(conn);
      // A column the session's view leaves out: say which, and why.
      constexpr std::string_view kNoColumn = "no such column: ";
      if (message.rfind(kNoColumn, 0) == 0) {
        std::string name = message.substr(kNoColumn.size());
        if (const auto dot = name.rfind('.'); dot != std::string::npos) name = name.substr(dot + 1);
        std::string why;
        for (const auto& t : plan_.tables) {
          for (const auto& c : t.columns) {
            if (c.kind == PlannedColumn::Kind::kRefused && guard::same_name(c.name, name)) {
              why += (why.empty() ? "" : "; ") + t.name + "." + c.name + ": " +
                     reason_code(c.refusal.reason) +
                     (c.category_name.empty() ? "" : " (category " + c.category_name + ")");
            }
          }
        }
        if (!why.empty()) {
          return refused(sql, StatusCode::kRefused, "refused for this session: " + why);
        }
      }
      return refused(sql, StatusCode::kInvalidArgument, "SQL error: " + message);
    }
    // One statement per call: whatever follows must be only blanks and
    // comments. A tail that fails to prepare (a refused read, a syntax
    // error) is a second statement too, not something to ignore.
    const char* const end = sql.data() + sql.size();
    if (tail && tail < end) {
      sqlite3_stmt* next = nullptr;
      const int next_rc =
          sqlite3_prepare_v2(conn, tail, static_cast<int>(end - tail), &next, nullptr);
      const bool more = next_rc != SQLITE_OK || next != nullptr;
      sqlite3_finalize(next);
      if (more) {
        sqlite3_finalize(fresh.stmt);
        return refused(sql, StatusCode::kInvalidArgument,
                       "several statements in one call: run them one at a time");
      }
    }
    if (!sqlite3_stmt_readonly(fresh.stmt)) {
      sqlite3_finalize(fresh.stmt);
      return refused(sql, StatusCode::kRefused, kReadOnly);
    }
    // EXPLAIN would show how the session reads its tables: nothing to run.
    if (sqlite3_stmt_isexplain(fresh.stmt) != 0) {
      sqlite3_finalize(fresh.stmt);
      return refused(sql, StatusCode::kRefused, "guarded sessions run no EXPLAIN");
    }
    for (int i = 0; i < sqlite3_column_count(fresh.stmt); ++i) {
      const char* name = sqlite3_column_name(fresh.stmt, i);
      fresh.names.push_back(name ? name : "");
    }
    if (cache_.size() >= std::max<std::size_t>(1, db.options.statement_cache)) {
      auto oldest =
          std::min_element(cache_.begin(), cache_.end(),
                           [](const auto& x, const auto& y) { return x.last_use < y.last_use; });
      sqlite3_finalize(oldest->stmt);
      cache_.erase(oldest);
    }
    cache_.push_back(std::move(fresh));
    statement = &cache_.back();
  }
  statement->last_use = ++uses_;

  const int wanted = sqlite3_bind_parameter_count(statement->stmt);
  if (static_cast<int>(params.size()) != wanted) {
    return refused(sql, StatusCode::kInvalidArgument,
                   "the statement takes " + std::to_string(wanted) + " parameters, " +
                       std::to_string(params.size()) + " given");
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    const int at = static_cast<int>(i) + 1;
    const Value& p = params[i];
    int rc = SQLITE_OK;
    switch (p.kind) {
      case Value::Kind::kNull:
        rc = sqlite3_bind_null(statement->stmt, at);
        break;
      case Value::Kind::kBool:
        rc = sqlite3_bind_int(statement->stmt, at, p.boolean);
        break;
      case Value::Kind::kInt:
        rc = sqlite3_bind_int64(statement->stmt, at, p.integer);
        break;
      case Value::Kind::kReal:
        rc = sqlite3_bind_double(statement->stmt, at, p.real);
        break;
      case Value::Kind::kText:
        rc = sqlite3_bind_text(statement->stmt, at, p.text.data(), static_cast<int>(p.text.size()),
                               SQLITE_TRANSIENT);
        break;
      default:
        sqlite3_clear_bindings(statement->stmt);
        return refused(sql, StatusCode::kInvalidArgument,
                       "parameter " + std::to_string(at) + " is not a text, number or NULL");
    }
    if (rc != SQLITE_OK) {
      sqlite3_clear_bindings(statement->stmt);
      return refused(sql, StatusCode::kInvalidArgument,
                     "cannot bind parameter " + std::to_string(at) + ": " + sqlite3_errmsg(conn));
    }
  }
  subjects_.clear();
  subjects_ordered_ = true;
  auto impl = std::make_unique<RowsImpl>();
  impl->session = this;
  impl->statement = statement;
  impl->columns = sqlite3_column_count(statement->stmt);
  active = impl.get();
  return detail::GuardAccess::make<Rows>(std::move(impl));
}

Result<Rows> Session::query(std::string_view sql, const std::vector<Value>& params) {
  return impl_->query(sql, params);
}

// ---- Rows ----

Rows::Rows(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Rows::Rows(Rows&&) noexcept = default;
Rows& Rows::operator=(Rows&& other) noexcept {
  if (this != &other) {
    if (impl_) impl_->finish("");
    impl_ = std::move(other.impl_);
  }
  return *this;
}
Rows::~Rows() {
  if (impl_) impl_->finish("");
}

bool Rows::next() {
  if (!impl_ || impl_->finished) return false;
  SessionImpl& session = *impl_->session;
  const int rc = sqlite3_step(impl_->statement->stmt);
  if (rc == SQLITE_ROW) {
    ++impl_->rows;
    impl_->on_row = true;
    return true;
  }
  impl_->on_row = false;
  if (rc == SQLITE_DONE) {
    impl_->finish("");
    return false;
  }
  std::string message = sqlite3_errmsg(session.conn);
  if (rc == SQLITE_INTERRUPT) {
    message = "the statement took more than " +
              std::to_string(session.db.options.max_statement_steps) +
              " steps and was stopped (DatabaseOptions::max_statement_steps)";
  }
  impl_->status = Status(StatusCode::kInvalidArgument, "SQL error: " + message);
  impl_->finish(message);
  return false;
}

Status Rows::status() const {
  return impl_ ? impl_->status : Status(StatusCode::kInvalidArgument, "moved-from Rows");
}
std::uint64_t Rows::row_count() const {
  return impl_ ? impl_->rows : 0;
}
int Rows::column_count() const {
  return impl_ ? static_cast<int>(impl_->statement->names.size()) : 0;
}
const std::string& Rows::column_name(int column) const {
  static const std::string empty;
  if (!impl_ || column < 0 || column >= column_count()) return empty;
  return impl_->statement->names[static_cast<std::size_t>(column)];
}
Rows::Type Rows::type(int column) const {
  sqlite3_stmt* s = impl_ ? impl_->current(column) : nullptr;
  if (!s) return Type::kNull;
  switch (sqlite3_column_type(s, column)) {
    case SQLITE_INTEGER:
      return Type::kInt;
    case SQLITE_FLOAT:
      return Type::kReal;
    case SQLITE_TEXT:
      return Type::kText;
    case SQLITE_BLOB:
      return Type::kBlob;
    default:
      return Type::kNull;
  }
}
bool Rows::is_null(int column) const {
  return type(column) == Type::kNull;
}
std::int64_t Rows::int64(int column) const {
  sqlite3_stmt* s = impl_ ? impl_->current(column) : nullptr;
  return s ? sqlite3_column_int64(s, column) : 0;
}
double Rows::real(int column) const {
  sqlite3_stmt* s = impl_ ? impl_->current(column) : nullptr;
  return s ? sqlite3_column_double(s, column) : 0.0;
}
std::string_view Rows::text(int column) const {
  sqlite3_stmt* s = impl_ ? impl_->current(column) : nullptr;
  if (!s) return {};
  // The blob view gives a text cell's bytes as they are (a number's as
  // text): sqlite3_column_text would reallocate the cell to add a terminator
  // a string_view does not need. Through the cell's value: one API call
  // fewer per cell (the session's connection is used by one thread at a time).
  sqlite3_value* v = sqlite3_column_value(s, column);
  const auto* p = static_cast<const char*>(sqlite3_value_blob(v));
  return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_value_bytes(v)))
           : std::string_view();
}
std::string_view Rows::blob(int column) const {
  sqlite3_stmt* s = impl_ ? impl_->current(column) : nullptr;
  if (!s) return {};
  const auto* p = static_cast<const char*>(sqlite3_column_blob(s, column));
  return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s, column)))
           : std::string_view();
}
Value Rows::value(int column) const {
  switch (type(column)) {
    case Type::kInt:
      return Value::of_int(int64(column));
    case Type::kReal:
      return Value::of_real(real(column));
    case Type::kText:
      return Value::of_text(std::string(text(column)));
    case Type::kBlob:
      return Value::other();
    case Type::kNull:
      break;
  }
  return Value::null();
}

// ---- the in-memory audit sink ----

Status MemoryAuditSink::append(const AccessRecord& record) {
  std::lock_guard<std::mutex> lock(mutex_);
  records_.push_back(record);
  return Status();
}

std::vector<AccessRecord> MemoryAuditSink::records() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return records_;
}

void MemoryAuditSink::clear() {
  std::lock_guard<std::mutex> lock(mutex_);
  records_.clear();
}

}  // namespace custos
