#include "cli/schema.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <memory>

namespace custos::cli {
namespace {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFinalizer>;

Status sqlite_error(sqlite3* db, const std::string& path) {
  return Status(StatusCode::kIoError, path + ": " + sqlite3_errmsg(db));
}

}  // namespace

Result<lang::Schema> load_schema(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) {
    return Status(StatusCode::kNotFound, path + ": no such database file");
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) return sqlite_error(db.get(), path);

  sqlite3_stmt* raw_stmt = nullptr;
  if (sqlite3_prepare_v2(db.get(),
                         "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE "
                         "'sqlite_%' ORDER BY name",
                         -1, &raw_stmt, nullptr) != SQLITE_OK) {
    return sqlite_error(db.get(), path);
  }
  Stmt tables(raw_stmt);
  lang::Schema schema;
  int step;
  while ((step = sqlite3_step(tables.get())) == SQLITE_ROW) {
    schema.tables.push_back(
        {reinterpret_cast<const char*>(sqlite3_column_text(tables.get(), 0)), {}});
  }
  if (step != SQLITE_DONE) return sqlite_error(db.get(), path);

  if (sqlite3_prepare_v2(db.get(), "SELECT name FROM pragma_table_info(?1) ORDER BY cid", -1,
                         &raw_stmt, nullptr) != SQLITE_OK) {
    return sqlite_error(db.get(), path);
  }
  Stmt columns(raw_stmt);
  for (auto& table : schema.tables) {
    sqlite3_reset(columns.get());
    sqlite3_bind_text(columns.get(), 1, table.name.c_str(), -1, SQLITE_TRANSIENT);
    while ((step = sqlite3_step(columns.get())) == SQLITE_ROW) {
      table.columns.emplace_back(
          reinterpret_cast<const char*>(sqlite3_column_text(columns.get(), 0)));
    }
    if (step != SQLITE_DONE) return sqlite_error(db.get(), path);
  }
  // Views, and the tables each reads: the authorizer sees every table a
  // query over the view reads, through nested views too.
  if (sqlite3_prepare_v2(db.get(),
                         "SELECT name FROM sqlite_schema WHERE type = 'view' ORDER BY name", -1,
                         &raw_stmt, nullptr) != SQLITE_OK) {
    return sqlite_error(db.get(), path);
  }
  Stmt views(raw_stmt);
  while ((step = sqlite3_step(views.get())) == SQLITE_ROW) {
    schema.views.push_back(
        {reinterpret_cast<const char*>(sqlite3_column_text(views.get(), 0)), {}});
  }
  if (step != SQLITE_DONE) return sqlite_error(db.get(), path);
  for (auto& view : schema.views) {
    const auto reads = [](void* out, int action, const char* table, const char*, const char*,
                          const char*) {
      auto& tables = *static_cast<std::vector<std::string>*>(out);
      if (action == SQLITE_READ && table && std::string(table).rfind("sqlite_", 0) != 0 &&
          std::find(tables.begin(), tables.end(), table) == tables.end()) {
        tables.emplace_back(table);
      }
      return SQLITE_OK;
    };
    sqlite3_set_authorizer(db.get(), reads, &view.base_tables);
    std::string quoted = "\"";
    for (char c : view.name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    sqlite3_stmt* probe = nullptr;
    // A view that does not compile reads nothing we can name: leave its list empty.
    sqlite3_prepare_v2(db.get(), ("SELECT * FROM " + quoted + "\"").c_str(), -1, &probe, nullptr);
    sqlite3_finalize(probe);
    sqlite3_set_authorizer(db.get(), nullptr, nullptr);
    // Views are not tables: a name may be both only in a broken database.
    view.base_tables.erase(std::remove_if(view.base_tables.begin(), view.base_tables.end(),
                                          [&](const std::string& t) {
                                            return std::none_of(
                                                schema.tables.begin(), schema.tables.end(),
                                                [&](const auto& st) { return st.name == t; });
                                          }),
                           view.base_tables.end());
  }
  return schema;
}

}  // namespace custos::cli
