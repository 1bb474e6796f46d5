#include "retention/schema.hpp"

#include <algorithm>

namespace custos::retention {
namespace {

struct Statement {
  sqlite3_stmt* stmt = nullptr;
  ~Statement() { sqlite3_finalize(stmt); }
};

std::string text_of(sqlite3_stmt* s, int column) {
  const auto* p = sqlite3_column_text(s, column);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<std::size_t>(sqlite3_column_bytes(s, column)))
           : std::string();
}

Status schema_error(sqlite3* db) {
  return Status(StatusCode::kIoError,
                std::string("cannot read the database schema: ") + sqlite3_errmsg(db));
}

// Runs `sql` (one statement with `?1` bound to `arg` when given), calling
// `row` per row.
template <typename Row>
Status each_row(sqlite3* db, const std::string& sql, const std::string& arg, Row&& row) {
  Statement s;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s.stmt, nullptr) != SQLITE_OK) {
    return schema_error(db);
  }
  if (!arg.empty()) {
    sqlite3_bind_text(s.stmt, 1, arg.data(), static_cast<int>(arg.size()), SQLITE_TRANSIENT);
  }
  int rc;
  while ((rc = sqlite3_step(s.stmt)) == SQLITE_ROW) row(s.stmt);
  if (rc != SQLITE_DONE) return schema_error(db);
  return Status();
}

}  // namespace

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string quote_name(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

const DbColumn* DbTable::column(std::string_view name) const {
  for (const auto& c : columns) {
    if (same_name(c.name, name)) return &c;
  }
  return nullptr;
}

const DbTable* DbSchema::table(std::string_view name) const {
  for (const auto& t : tables) {
    if (same_name(t.name, name)) return &t;
  }
  return nullptr;
}

Result<DbSchema> read_schema(sqlite3* db) {
  DbSchema schema;
  Status s = each_row(db,
                      "SELECT name, type FROM main.sqlite_schema WHERE type IN ('table', 'view') "
                      "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                      "", [&](sqlite3_stmt* row) {
                        DbTable t;
                        t.name = text_of(row, 0);
                        t.is_view = text_of(row, 1) == "view";
                        schema.tables.push_back(std::move(t));
                      });
  if (!s.ok()) return s;
  for (auto& t : schema.tables) {
    std::vector<std::pair<int, std::string>> key;
    s = each_row(db, "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1)", t.name,
                 [&](sqlite3_stmt* row) {
                   DbColumn c;
                   c.name = text_of(row, 0);
                   c.type = text_of(row, 1);
                   c.not_null = sqlite3_column_int(row, 2) != 0;
                   c.pk = sqlite3_column_int(row, 3);
                   if (c.pk > 0) key.emplace_back(c.pk, c.name);
                   t.columns.push_back(std::move(c));
                 });
    if (!s.ok()) return s;
    std::sort(key.begin(), key.end());
    for (auto& [order, column] : key) t.primary_key.push_back(column);
    if (t.is_view) continue;
    // The rowid, under a name no column takes. A WITHOUT ROWID table has
    // none: selecting it does not compile.
    for (const char* alias : {"rowid", "_rowid_", "oid"}) {
      if (t.column(alias)) continue;
      Statement probe;
      const std::string sql =
          std::string("SELECT ") + alias + " FROM main." + quote_name(t.name) + " LIMIT 0";
      if (sqlite3_prepare_v2(db, sql.c_str(), -1, &probe.stmt, nullptr) == SQLITE_OK) {
        t.rowid = alias;
      }
      break;
    }
    s = each_row(db, "SELECT \"from\", \"table\", \"to\" FROM pragma_foreign_key_list(?1)", t.name,
                 [&](sqlite3_stmt* row) {
                   t.foreign_keys.push_back({text_of(row, 0), text_of(row, 1), text_of(row, 2)});
                 });
    if (!s.ok()) return s;
  }
  return schema;
}

}  // namespace custos::retention
