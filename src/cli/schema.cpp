#include "cli/schema.hpp"

#include <sqlite3.h>

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
  return schema;
}

}  // namespace custos::cli
