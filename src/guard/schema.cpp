#include "guard/schema.hpp"

#include <algorithm>
#include <cctype>

namespace custos::guard {
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

Status sql_error(sqlite3* db, const std::string& what) {
  return Status(StatusCode::kIoError, what + ": " + sqlite3_errmsg(db));
}

// Runs `sql` (one statement with `?1` bound to `arg`), calling `row` per row.
template <typename Row>
Status each_row(sqlite3* db, const char* sql, const std::string& arg, Row&& row) {
  Statement s;
  if (sqlite3_prepare_v2(db, sql, -1, &s.stmt, nullptr) != SQLITE_OK) {
    return sql_error(db, "cannot read the database schema");
  }
  if (!arg.empty()) {
    sqlite3_bind_text(s.stmt, 1, arg.data(), static_cast<int>(arg.size()), SQLITE_TRANSIENT);
  }
  int rc;
  while ((rc = sqlite3_step(s.stmt)) == SQLITE_ROW) row(s.stmt);
  if (rc != SQLITE_DONE) return sql_error(db, "cannot read the database schema");
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

const std::string* DbTable::column(std::string_view name) const {
  for (const auto& c : columns) {
    if (same_name(c, name)) return &c;
  }
  return nullptr;
}

bool DbTable::is_unique(std::string_view name) const {
  if (primary_key.size() == 1 && same_name(primary_key[0], name)) return true;
  for (const auto& c : unique) {
    if (same_name(c, name)) return true;
  }
  return false;
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
    s = each_row(db, "SELECT name, pk, type FROM pragma_table_info(?1)", t.name,
                 [&](sqlite3_stmt* row) {
                   t.columns.push_back(text_of(row, 0));
                   t.types.push_back(text_of(row, 2));
                   if (const int pk = sqlite3_column_int(row, 1); pk > 0) {
                     key.emplace_back(pk, t.columns.back());
                   }
                 });
    if (!s.ok()) return s;
    std::sort(key.begin(), key.end());
    for (auto& [order, column] : key) t.primary_key.push_back(column);
    if (t.is_view) continue;
    // An INTEGER PRIMARY KEY of a rowid table is the rowid itself.
    if (t.primary_key.size() == 1) {
      const auto at = std::find(t.columns.begin(), t.columns.end(), t.primary_key[0]);
      std::string type = t.types[static_cast<std::size_t>(at - t.columns.begin())];
      for (char& c : type) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      bool without_rowid = false;
      s = each_row(db, "SELECT 1 FROM pragma_index_list(?1) WHERE origin = 'pk'", t.name,
                   [&](sqlite3_stmt*) { without_rowid = true; });
      if (!s.ok()) return s;
      if (type == "INTEGER" && !without_rowid) t.rowid_alias = t.primary_key[0];
    }
    std::vector<std::pair<std::string, bool>> indexes;  // name, unique
    s = each_row(db, "SELECT name, \"unique\" FROM pragma_index_list(?1)", t.name,
                 [&](sqlite3_stmt* row) {
                   indexes.emplace_back(text_of(row, 0), sqlite3_column_int(row, 1) != 0);
                 });
    if (!s.ok()) return s;
    for (const auto& [index, unique] : indexes) {
      std::vector<std::string> columns;
      s = each_row(db, "SELECT name FROM pragma_index_info(?1) ORDER BY seqno", index,
                   [&](sqlite3_stmt* row) { columns.push_back(text_of(row, 0)); });
      if (!s.ok()) return s;
      if (!columns.empty() && !columns[0].empty()) t.indexed.push_back(columns[0]);
      if (unique && columns.size() == 1) t.unique.push_back(columns[0]);
    }
    s = each_row(db, "SELECT \"from\", \"table\", \"to\" FROM pragma_foreign_key_list(?1)", t.name,
                 [&](sqlite3_stmt* row) {
                   t.foreign_keys.push_back({text_of(row, 0), text_of(row, 1), text_of(row, 2)});
                 });
    if (!s.ok()) return s;
  }
  return schema;
}

}  // namespace custos::guard
