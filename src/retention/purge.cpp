// purge(): LANGUAGE.md §5, "Purge works per column", over the table
// bindings of §7.
//
// Plan, then purge table by table. The plan resolves every binding against
// the database before anything changes: each classified column with its
// purge age, each `subject` / `collected` line as a local column or a link
// (a local `via` column referencing a row of another bound table), and the
// order: a table that links to another is purged first.
//
// A table is read in one pass inside its own transaction; every decision is
// made in memory, then applied (DELETE and UPDATE ... SET col = NULL, by
// rowid or primary key) and committed, or, in a dry run, only counted. A
// link is honoured both ways: the child reads its time and subject through
// the parent row while it is purged, and once it is done the `via` values
// of its remaining rows go to a temp table, which the parent's pass
// consults (with SQL's own comparison, as the guard's lookup does) so that
// it never deletes a row a remaining child row still reaches. A dry run
// fills that temp table with the rows that would remain, so it decides
// exactly as the real purge does; temp tables live outside the file.
#include "custos/purge.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <utility>

#include "base/time.hpp"
#include "crypto/crypto.hpp"
#include "policy/compiled_policy.hpp"
#include "retention/purge_ages.hpp"
#include "retention/schema.hpp"
#include "retention/summary.hpp"

namespace custos {
namespace retention {
namespace {

using detail::CompiledPolicy;
using lang::ResolvedTable;

constexpr const char* kPurpose = "custos.purge";
constexpr const char* kAction = "erase";

struct Connection {
  sqlite3* db = nullptr;
  ~Connection() { sqlite3_close_v2(db); }
};

class Statement {
 public:
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& o) noexcept : stmt_(std::exchange(o.stmt_, nullptr)) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  sqlite3_stmt* get() const { return stmt_; }
  sqlite3_stmt** out() { return &stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

Status sql_error(sqlite3* db, const std::string& what) {
  return Status(StatusCode::kIoError, what + ": " + sqlite3_errmsg(db));
}

Status exec(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    Status s(StatusCode::kIoError, sql + ": " + (error ? error : sqlite3_errmsg(db)));
    sqlite3_free(error);
    return s;
  }
  return Status();
}

Result<Statement> prepare(sqlite3* db, const std::string& sql) {
  Statement s;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, s.out(), nullptr) != SQLITE_OK) {
    return sql_error(db, "cannot prepare " + sql);
  }
  return s;
}

// A stored value, kept with its storage class to be bound again later.
struct Stored {
  int type = SQLITE_NULL;
  std::int64_t integer = 0;
  double real = 0;
  std::string bytes;

  static Stored of(sqlite3_stmt* s, int column) {
    Stored v;
    v.type = sqlite3_column_type(s, column);
    switch (v.type) {
      case SQLITE_INTEGER:
        v.integer = sqlite3_column_int64(s, column);
        break;
      case SQLITE_FLOAT:
        v.real = sqlite3_column_double(s, column);
        break;
      case SQLITE_TEXT:
      case SQLITE_BLOB: {
        const void* p = v.type == SQLITE_TEXT
                            ? static_cast<const void*>(sqlite3_column_text(s, column))
                            : sqlite3_column_blob(s, column);
        const auto n = static_cast<std::size_t>(sqlite3_column_bytes(s, column));
        if (p) v.bytes.assign(static_cast<const char*>(p), n);
        break;
      }
      default:
        break;
    }
    return v;
  }

  void bind(sqlite3_stmt* s, int index) const {
    switch (type) {
      case SQLITE_INTEGER:
        sqlite3_bind_int64(s, index, integer);
        break;
      case SQLITE_FLOAT:
        sqlite3_bind_double(s, index, real);
        break;
      case SQLITE_TEXT:
        sqlite3_bind_text(s, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
        break;
      case SQLITE_BLOB:
        sqlite3_bind_blob(s, index, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
        break;
      default:
        sqlite3_bind_null(s, index);
        break;
    }
  }
};

// SQLite's affinity of a declared type (https://sqlite.org/datatype3.html,
// 3.1), as a type name that gives a temp column the same affinity.
std::string affinity_type(std::string type) {
  for (char& c : type) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  const auto has = [&](const char* part) { return type.find(part) != std::string::npos; };
  if (has("INT")) return "INTEGER";
  if (has("CHAR") || has("CLOB") || has("TEXT")) return "TEXT";
  if (type.empty() || has("BLOB")) return "";
  if (has("REAL") || has("FLOA") || has("DOUB")) return "REAL";
  return "NUMERIC";
}

// A row's collection time, read as the guard reads it: integer unix
// seconds, a real (rounded down), or one of the text forms of
// parse_stored_time. Anything else is unknown.
std::optional<Timestamp> time_of(sqlite3_stmt* s, int column) {
  switch (sqlite3_column_type(s, column)) {
    case SQLITE_INTEGER:
      return sqlite3_column_int64(s, column);
    case SQLITE_FLOAT: {
      const double v = sqlite3_column_double(s, column);
      if (std::isfinite(v) && std::fabs(v) < 1e15) return static_cast<Timestamp>(std::floor(v));
      return std::nullopt;
    }
    case SQLITE_TEXT:
      return detail::parse_stored_time(
          std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(s, column)),
                           static_cast<std::size_t>(sqlite3_column_bytes(s, column))));
    default:
      return std::nullopt;
  }
}

// A subject id as text, as the guard compares it: an integer in decimal.
std::optional<std::string> subject_of(sqlite3_stmt* s, int column) {
  switch (sqlite3_column_type(s, column)) {
    case SQLITE_INTEGER:
      return std::to_string(sqlite3_column_int64(s, column));
    case SQLITE_TEXT:
      return std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, column)),
                         static_cast<std::size_t>(sqlite3_column_bytes(s, column)));
    default:
      return std::nullopt;
  }
}

bool is_decimal(const std::string& s) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// A `subject` or `collected` line, resolved: a local column, or a column of
// another table reached through a link.
struct Line {
  bool present = false;
  std::string column;  // as the database spells it
  int link = -1;       // -1: a column of this table
};

// Rows of `child` reference rows of `parent`: child.via = parent.target.
struct Link {
  std::size_t child = 0, parent = 0;  // indexes into the plans
  std::string via, via_type;          // column of the child, its declared type
  std::string target;                 // column of the parent
  std::vector<std::string> reads;     // columns of the parent the child reads through it
  std::string temp;                   // the temp table of the remaining rows' `via` values
  bool filled = false;
};

struct ColumnPlan {
  std::string name;
  std::string category;
  std::int64_t age = -1;
  bool not_null = false;  // NOT NULL or part of the primary key: cannot be cleared
};

struct TablePlan {
  const DbTable* db = nullptr;
  Line subject, collected;
  std::vector<ColumnPlan> columns;              // classified, in binding order
  std::vector<std::size_t> incoming, outgoing;  // links to this table, and from it
  std::vector<std::string> key;                 // the rowid alias, or the primary key
  bool any_age = false;
};

Status bad_binding(const std::string& message) {
  return Status(StatusCode::kInvalidArgument, message);
}

// The column of `parent` that `child.via` references: its foreign key's
// target, else a column of the same name, else the one-column primary key
// (as the guard resolves it).
Result<std::string> target_of(const DbTable& child, const DbTable& parent, const std::string& via) {
  for (const auto& fk : child.foreign_keys) {
    if (!same_name(fk.from, via) || !same_name(fk.table, parent.name)) continue;
    if (!fk.to.empty()) {
      if (const DbColumn* c = parent.column(fk.to)) return c->name;
    }
    if (parent.primary_key.size() == 1) return parent.primary_key[0];
  }
  if (const DbColumn* same = parent.column(via)) return same->name;
  if (parent.primary_key.size() == 1) return parent.primary_key[0];
  return bad_binding("cannot tell which column of " + parent.name + " the column " + child.name +
                     "." + via + " references: declare a foreign key, or give " + parent.name +
                     " a one-column primary key");
}

struct Plan {
  std::vector<TablePlan> tables;  // by index of the non-public bindings
  std::vector<const ResolvedTable*> bindings;
  std::vector<Link> links;
  std::vector<std::size_t> order;
};

Result<Line> resolve_line(Plan& plan, std::size_t t, const ResolvedTable::Reference& ref) {
  Line line;
  if (!ref.present) return line;
  line.present = true;
  const DbTable& db = *plan.tables[t].db;
  if (ref.table.empty()) {
    const DbColumn* c = db.column(ref.column);
    if (!c) return bad_binding("the database's table " + db.name + " has no column " + ref.column);
    line.column = c->name;
    return line;
  }
  std::size_t parent = plan.tables.size();
  for (std::size_t i = 0; i < plan.bindings.size(); ++i) {
    if (same_name(plan.bindings[i]->name, ref.table)) parent = i;
  }
  if (parent == plan.tables.size()) {
    return bad_binding("table " + db.name + " reaches " + ref.table +
                       " via a reference, but the policy has no non-public binding of it");
  }
  const DbTable& other = *plan.tables[parent].db;
  const DbColumn* column = other.column(ref.column);
  if (!column) {
    return bad_binding("the database's table " + other.name + " has no column " + ref.column);
  }
  const DbColumn* via = db.column(ref.via);
  if (!via) return bad_binding("the database's table " + db.name + " has no column " + ref.via);
  auto target = target_of(db, other, via->name);
  if (!target.ok()) return target.status();
  line.column = column->name;
  for (std::size_t l = 0; l < plan.links.size(); ++l) {
    Link& link = plan.links[l];
    if (link.child == t && link.parent == parent && same_name(link.via, via->name)) {
      link.reads.push_back(column->name);
      line.link = static_cast<int>(l);
      return line;
    }
  }
  Link link;
  link.child = t;
  link.parent = parent;
  link.via = via->name;
  link.via_type = via->type;
  link.target = *target;
  link.reads = {column->name, *target};
  link.temp = "custos_purge_link" + std::to_string(plan.links.size());
  line.link = static_cast<int>(plan.links.size());
  plan.tables[t].outgoing.push_back(plan.links.size());
  plan.tables[parent].incoming.push_back(plan.links.size());
  plan.links.push_back(std::move(link));
  return line;
}

Result<Plan> make_plan(const DbSchema& schema, const CompiledPolicy& cp) {
  Plan plan;
  for (const auto& compiled : cp.tables) {
    const ResolvedTable& b = compiled.binding;
    if (b.is_public) continue;
    const DbTable* db = schema.table(b.name);
    if (!db) {
      return bad_binding("the policy binds table " + b.name + ", which the database does not have");
    }
    if (db->is_view) {
      return bad_binding("the policy binds " + db->name +
                         ", which is a view in the database: bind its base tables instead");
    }
    TablePlan t;
    t.db = db;
    if (!db->rowid.empty()) {
      t.key = {db->rowid};
    } else if (!db->primary_key.empty()) {
      t.key = db->primary_key;
    } else {
      return bad_binding("cannot address the rows of " + db->name +
                         ": it has neither a usable rowid nor a primary key");
    }
    plan.tables.push_back(std::move(t));
    plan.bindings.push_back(&b);
  }
  const std::vector<std::int64_t> ages = category_purge_ages(cp);
  for (std::size_t i = 0; i < plan.tables.size(); ++i) {
    const ResolvedTable& b = *plan.bindings[i];
    auto subject = resolve_line(plan, i, b.subject);
    if (!subject.ok()) return subject.status();
    auto collected = resolve_line(plan, i, b.collected);
    if (!collected.ok()) return collected.status();
    TablePlan& t = plan.tables[i];
    t.subject = *subject;
    t.collected = *collected;
    // The columns that name the row's subject or date it, here or through
    // a link, are never cleared and never count.
    std::vector<std::string> keys;
    for (const Line* line : {&t.subject, &t.collected}) {
      if (!line->present) continue;
      keys.push_back(line->link < 0 ? line->column
                                    : plan.links[static_cast<std::size_t>(line->link)].via);
    }
    for (const auto& c : b.columns) {
      const DbColumn* db_column = t.db->column(c.name);
      if (!db_column) {
        return bad_binding("the database's table " + t.db->name + " has no column " + c.name);
      }
      if (c.category < 0) continue;  // public
      if (std::any_of(keys.begin(), keys.end(),
                      [&](const std::string& k) { return same_name(k, db_column->name); })) {
        continue;
      }
      ColumnPlan column;
      column.name = db_column->name;
      column.category = cp.category_names[static_cast<std::size_t>(c.category)];
      column.age = ages[static_cast<std::size_t>(c.category)];
      column.not_null = db_column->not_null || db_column->pk > 0;
      t.any_age = t.any_age || column.age >= 0;
      t.columns.push_back(std::move(column));
    }
  }
  // Children before parents; among tables free to go, binding order. A
  // cycle of links is broken at its first table in binding order.
  std::vector<char> done(plan.tables.size(), 0);
  while (plan.order.size() < plan.tables.size()) {
    std::size_t next = plan.tables.size();
    for (std::size_t i = 0; i < plan.tables.size() && next == plan.tables.size(); ++i) {
      if (done[i]) continue;
      bool free = true;
      for (std::size_t l : plan.tables[i].incoming) {
        const Link& link = plan.links[l];
        if (link.child != i && !done[link.child]) free = false;
      }
      if (free) next = i;
    }
    if (next == plan.tables.size()) {
      next = static_cast<std::size_t>(std::find(done.begin(), done.end(), 0) - done.begin());
    }
    done[next] = 1;
    plan.order.push_back(next);
  }
  return plan;
}

// What to do to one row.
struct RowAction {
  std::vector<Stored> key;
  bool remove = false;
  std::vector<std::uint32_t> clear;  // column indexes (remove == false)
};

class Purger {
 public:
  Purger(sqlite3* db, const CompiledPolicy& cp, const PurgeOptions& options, Timestamp now,
         Plan& plan)
      : db_(db), cp_(cp), options_(options), now_(now), plan_(plan) {}

  Status run(PurgeReport& report) {
    for (const Link& link : plan_.links) {
      const std::string type = affinity_type(link.via_type);
      Status s =
          exec(db_, "CREATE TEMP TABLE " + link.temp + " (v" + (type.empty() ? "" : " " + type) +
                        "); CREATE INDEX temp." + link.temp + "_v ON " + link.temp + " (v)");
      if (!s.ok()) return s;
    }
    std::vector<std::string> purged;
    for (std::size_t t : plan_.order) {
      PurgeReport::Table out;
      Status s = purge_table(t, out);
      if (!s.ok()) {
        std::string before;
        for (const auto& name : purged) before += (before.empty() ? "" : ", ") + name;
        return Status(s.code(), "purge of " + plan_.tables[t].db->name +
                                    " failed, rolled back: " + s.message() +
                                    (options_.dry_run || before.empty()
                                         ? std::string()
                                         : " (purged before it, and kept: " + before + ")"));
      }
      if (out.rows_deleted > 0 || out.cells_cleared > 0) purged.push_back(out.name);
      report.tables.push_back(std::move(out));
    }
    return Status();
  }

 private:
  // Fills a link's temp table with the `via` value of every current row of
  // its child: for a child left as it is, and for a child not purged yet
  // (a cycle of links).
  Status fill_all(Link& link) {
    if (link.filled) return Status();
    link.filled = true;
    return exec(db_, "INSERT INTO temp." + link.temp + " (v) SELECT " + quote_name(link.via) +
                         " FROM main." + quote_name(plan_.tables[link.child].db->name));
  }

  // Fills a link's temp table with the `via` values of the rows of its
  // child that remain.
  Status fill(Link& link, const std::vector<Stored>& values) {
    if (link.filled) return Status();  // filled with every row already (a cycle)
    link.filled = true;
    Status s = exec(db_, "BEGIN");
    if (!s.ok()) return s;
    {
      auto insert = prepare(db_, "INSERT INTO temp." + link.temp + " (v) VALUES (?1)");
      if (!insert.ok()) s = insert.status();
      for (std::size_t i = 0; s.ok() && i < values.size(); ++i) {
        values[i].bind(insert->get(), 1);
        if (sqlite3_step(insert->get()) != SQLITE_DONE) s = sql_error(db_, "cannot note a link");
        sqlite3_reset(insert->get());
      }
    }
    if (s.ok()) return exec(db_, "COMMIT");
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  }

  std::string line_sql(const Line& line) const {
    if (!line.present) return "NULL";
    if (line.link < 0) return "custos_t." + quote_name(line.column);
    const Link& link = plan_.links[static_cast<std::size_t>(line.link)];
    return "(SELECT custos_p." + quote_name(line.column) + " FROM main." +
           quote_name(plan_.tables[link.parent].db->name) + " AS custos_p WHERE custos_p." +
           quote_name(link.target) + " = custos_t." + quote_name(link.via) + " LIMIT 1)";
  }

  std::string where_key(const TablePlan& t, int first) const {
    std::string out;
    for (std::size_t k = 0; k < t.key.size(); ++k) {
      const std::string name =
          t.key.size() == 1 && t.key[0] == t.db->rowid ? t.key[0] : quote_name(t.key[k]);
      out += (k ? " AND " : "") + name + " IS ?" + std::to_string(first + static_cast<int>(k));
    }
    return out;
  }

  Status purge_table(std::size_t index, PurgeReport::Table& out) {
    TablePlan& t = plan_.tables[index];
    out.name = t.db->name;
    for (const auto& c : t.columns) {
      PurgeReport::Column column;
      column.name = c.name;
      column.category = c.category;
      column.purge_age = c.age;
      out.columns.push_back(std::move(column));
    }
    for (std::size_t l : t.incoming) {
      Status s = fill_all(plan_.links[l]);  // a no-op for children already purged
      if (!s.ok()) return s;
    }
    const auto leave_as_is = [&]() -> Status {
      for (std::size_t l : t.outgoing) {
        Status s = fill_all(plan_.links[l]);
        if (!s.ok()) return s;
      }
      return Status();
    };
    if (!t.any_age) {
      out.nothing_expires = true;
      return leave_as_is();
    }
    if (!t.collected.present) {
      out.no_collected = true;
      auto count = prepare(db_, "SELECT count(*) FROM main." + quote_name(t.db->name));
      if (!count.ok()) return count.status();
      if (sqlite3_step(count->get()) != SQLITE_ROW) return sql_error(db_, "cannot count rows");
      out.rows_unknown_time = static_cast<std::uint64_t>(sqlite3_column_int64(count->get(), 0));
      return leave_as_is();
    }

    Status s = exec(db_, options_.dry_run ? "BEGIN" : "BEGIN IMMEDIATE");
    if (!s.ok()) return s;
    std::vector<RowAction> actions;
    std::vector<std::string> subjects;
    std::vector<std::vector<Stored>> remaining(t.outgoing.size());
    s = decide(t, out, actions, subjects, remaining);
    if (s.ok() && !out.refused_columns.empty()) {
      s = exec(db_, "ROLLBACK");  // nothing was changed
      if (!s.ok()) return s;
      out.rows_deleted = out.rows_changed = out.cells_cleared = out.rows_kept_referenced = 0;
      for (auto& c : out.columns) c.cells_cleared = 0;
      if (!options_.dry_run) s = record(t, out, {}, true);
      if (!s.ok()) return s;
      return leave_as_is();
    }
    if (s.ok() && !options_.dry_run) s = apply(t, actions);
    if (s.ok() && !options_.dry_run && !actions.empty())
      s = record(t, out, std::move(subjects), false);
    if (s.ok()) s = exec(db_, "COMMIT");
    if (!s.ok()) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return s;
    }
    for (std::size_t i = 0; i < t.outgoing.size(); ++i) {
      s = fill(plan_.links[t.outgoing[i]], remaining[i]);
      if (!s.ok()) return s;
    }
    return Status();
  }

  // One pass over the table: what becomes of each row.
  Status decide(const TablePlan& t, PurgeReport::Table& out, std::vector<RowAction>& actions,
                std::vector<std::string>& subjects, std::vector<std::vector<Stored>>& remaining) {
    std::string select;
    for (const auto& k : t.key) {
      select += (select.empty() ? "" : ", ") +
                (k == t.db->rowid ? "custos_t." + k : "custos_t." + quote_name(k));
    }
    const int key_count = static_cast<int>(t.key.size());
    const int at_collected = key_count, at_subject = key_count + 1;
    select += ", " + line_sql(t.collected) + ", " + line_sql(t.subject);
    const int at_incoming = key_count + 2;
    for (std::size_t l : t.incoming) {
      const Link& link = plan_.links[l];
      select += ", EXISTS (SELECT 1 FROM temp." + link.temp + " AS custos_l WHERE custos_t." +
                quote_name(link.target) + " = custos_l.v)";
    }
    const int at_outgoing = at_incoming + static_cast<int>(t.incoming.size());
    for (std::size_t l : t.outgoing) {
      select += ", custos_t." + quote_name(plan_.links[l].via);
    }
    const int at_columns = at_outgoing + static_cast<int>(t.outgoing.size());
    for (const auto& c : t.columns) select += ", custos_t." + quote_name(c.name) + " IS NOT NULL";
    auto scan =
        prepare(db_, "SELECT " + select + " FROM main." + quote_name(t.db->name) + " AS custos_t");
    if (!scan.ok()) return scan.status();

    // Per incoming link, the classified columns a referencing row reads.
    std::vector<std::vector<char>> protects(t.incoming.size(),
                                            std::vector<char>(t.columns.size(), 0));
    for (std::size_t i = 0; i < t.incoming.size(); ++i) {
      for (const auto& read : plan_.links[t.incoming[i]].reads) {
        for (std::size_t c = 0; c < t.columns.size(); ++c) {
          if (same_name(read, t.columns[c].name)) protects[i][c] = 1;
        }
      }
    }
    std::vector<char> expired(t.columns.size()), kept(t.columns.size());
    int rc;
    while ((rc = sqlite3_step(scan->get())) == SQLITE_ROW) {
      sqlite3_stmt* row = scan->get();
      bool remains = true;
      const std::optional<Timestamp> collected = time_of(row, at_collected);
      if (!collected) {
        ++out.rows_unknown_time;
      } else {
        std::int64_t age = 0;
        const bool overflow = __builtin_sub_overflow(now_, *collected, &age);
        bool all = !t.columns.empty();
        for (std::size_t c = 0; c < t.columns.size(); ++c) {
          const std::int64_t limit = t.columns[c].age;
          expired[c] = limit >= 0 && (overflow || age > limit);
          all = all && expired[c];
        }
        bool referenced = false;
        std::fill(kept.begin(), kept.end(), 0);
        for (std::size_t i = 0; i < t.incoming.size(); ++i) {
          if (sqlite3_column_int(row, at_incoming + static_cast<int>(i)) == 0) continue;
          referenced = true;
          for (std::size_t c = 0; c < t.columns.size(); ++c) kept[c] |= protects[i][c];
        }
        RowAction action;
        if (all && !referenced) {
          action.remove = true;
          remains = false;
          ++out.rows_deleted;
        } else {
          for (std::size_t c = 0; c < t.columns.size(); ++c) {
            const bool stored = sqlite3_column_int(row, at_columns + static_cast<int>(c)) != 0;
            if (!expired[c] || !stored || kept[c]) continue;
            if (t.columns[c].not_null) {
              ++out.columns[c].cells_refused;
              continue;
            }
            ++out.columns[c].cells_cleared;
            ++out.cells_cleared;
            action.clear.push_back(static_cast<std::uint32_t>(c));
          }
          if (!action.clear.empty()) ++out.rows_changed;
          if (all) ++out.rows_kept_referenced;
        }
        if (action.remove || !action.clear.empty()) {
          for (int k = 0; k < key_count; ++k) action.key.push_back(Stored::of(row, k));
          if (auto subject = subject_of(row, at_subject)) subjects.push_back(std::move(*subject));
          actions.push_back(std::move(action));
        }
      }
      if (remains) {
        for (std::size_t i = 0; i < t.outgoing.size(); ++i) {
          remaining[i].push_back(Stored::of(row, at_outgoing + static_cast<int>(i)));
        }
      }
    }
    if (rc != SQLITE_DONE) return sql_error(db_, "cannot read " + t.db->name);
    for (const auto& c : out.columns) {
      if (c.cells_refused > 0) out.refused_columns.push_back(c.name);
    }
    return Status();
  }

  Status apply(const TablePlan& t, const std::vector<RowAction>& actions) {
    const std::string table = "main." + quote_name(t.db->name);
    auto remove = prepare(db_, "DELETE FROM " + table + " WHERE " + where_key(t, 1));
    if (!remove.ok()) return remove.status();
    std::map<std::vector<std::uint32_t>, Statement> updates;
    for (const RowAction& a : actions) {
      sqlite3_stmt* s = nullptr;
      if (a.remove) {
        s = remove->get();
      } else {
        auto it = updates.find(a.clear);
        if (it == updates.end()) {
          std::string set;
          for (std::uint32_t c : a.clear) {
            set += (set.empty() ? "" : ", ") + quote_name(t.columns[c].name) + " = NULL";
          }
          auto update =
              prepare(db_, "UPDATE " + table + " SET " + set + " WHERE " + where_key(t, 1));
          if (!update.ok()) return update.status();
          it = updates.emplace(a.clear, std::move(*update)).first;
        }
        s = it->second.get();
      }
      for (std::size_t k = 0; k < a.key.size(); ++k) a.key[k].bind(s, static_cast<int>(k) + 1);
      const int rc = sqlite3_step(s);
      sqlite3_reset(s);
      if (rc != SQLITE_DONE) {
        return sql_error(db_, std::string(a.remove ? "cannot delete a row of "
                                                   : "cannot clear "
                                                     "cells of ") +
                                  t.db->name);
      }
    }
    return Status();
  }

  // One audit record for a table changed (before its commit) or refused.
  Status record(const TablePlan& t, const PurgeReport::Table& out,
                std::vector<std::string> subjects, bool refused) {
    if (!options_.audit) return Status();
    AccessRecord r;
    r.time = now_;
    r.actor = options_.actor;
    r.purpose = kPurpose;
    r.action = kAction;
    r.tables = {t.db->name};
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
      const bool erased = refused ? out.columns[c].cells_refused > 0
                                  : out.rows_deleted > 0 || out.columns[c].cells_cleared > 0;
      if (!erased) continue;
      AccessRecord::Column column;
      column.table = t.db->name;
      column.column = t.columns[c].name;
      column.category = t.columns[c].category;
      column.withheld = {Reason::kRetentionExpired};
      r.columns.push_back(std::move(column));
    }
    r.sql = "purge " + describe_table(out);
    const crypto::Digest d = crypto::sha256(r.sql);
    r.fingerprint = crypto::to_hex(d.data(), 8);
    r.rows = out.rows_deleted + out.rows_changed;
    const auto before = [](const std::string& a, const std::string& b) {
      const bool na = is_decimal(a), nb = is_decimal(b);
      if (na != nb) return na;
      if (na && a.size() != b.size()) return a.size() < b.size();
      return a < b;
    };
    std::sort(subjects.begin(), subjects.end(), before);
    subjects.erase(std::unique(subjects.begin(), subjects.end()), subjects.end());
    r.subjects = std::move(subjects);
    r.refused = refused;
    if (refused) r.refusal = describe_table(out);
    std::memcpy(r.policy.name_chars.data(), cp_.name_chars.data(), r.policy.name_chars.size());
    r.policy.version = cp_.version;
    r.policy.sha256 = cp_.sha256;
    if (Status s = options_.audit->append(r); !s.ok()) {
      return Status(s.code(), "the audit sink failed: " + s.message());
    }
    return Status();
  }

  sqlite3* db_;
  const CompiledPolicy& cp_;
  const PurgeOptions& options_;
  Timestamp now_;
  Plan& plan_;
};

}  // namespace
}  // namespace retention

Result<PurgeReport> purge(const std::string& db_path, const Policy& policy,
                          const PurgeOptions& options) {
  using namespace retention;
  const CompiledPolicy& cp = detail::PolicyAccess::compiled(policy);
  PurgeReport report;
  report.now = options.now ? *options.now : detail::now_unix();
  report.dry_run = options.dry_run;

  Connection c;
  const int flags = options.dry_run ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (sqlite3_open_v2(db_path.c_str(), &c.db, flags, nullptr) != SQLITE_OK) {
    return Status(StatusCode::kIoError, "cannot open " + db_path + ": " +
                                            (c.db ? sqlite3_errmsg(c.db) : "out of memory"));
  }
  sqlite3_busy_timeout(c.db, options.busy_timeout_ms);
  sqlite3_extended_result_codes(c.db, 1);
  // Rows go exactly as decided: no cascade, no refusal from a foreign key
  // (SQLite's default, set in case the build changed it); deleted and
  // cleared content is overwritten in the file, not left in free space.
  Status s = exec(c.db, options.dry_run ? "PRAGMA foreign_keys = OFF"
                                        : "PRAGMA foreign_keys = OFF; PRAGMA secure_delete = ON");
  if (!s.ok()) return s;
  auto schema = read_schema(c.db);
  if (!schema.ok())
    return Status(schema.status().code(), db_path + ": " + schema.status().message());
  auto plan = make_plan(*schema, cp);
  if (!plan.ok()) return Status(plan.status().code(), db_path + ": " + plan.status().message());
  Purger purger(c.db, cp, options, report.now, *plan);
  s = purger.run(report);
  if (!s.ok()) return Status(s.code(), db_path + ": " + s.message());
  if (!options.dry_run) {
    // In WAL mode, purged content would linger in the log until the next
    // checkpoint; take one now (best effort: a reader may hold it back).
    sqlite3_wal_checkpoint_v2(c.db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  }
  return report;
}

}  // namespace custos
