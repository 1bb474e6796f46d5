// What the purge needs to know of an application's database: its tables,
// their columns (declared type, NOT NULL, primary key), how to address one
// row, and their foreign keys. A small reader of its own: retention sits
// beside the guard, not above it, so it does not use the guard's.
#pragma once

#include <sqlite3.h>

#include <string>
#include <string_view>
#include <vector>

#include "custos/status.hpp"

namespace custos::retention {

struct DbColumn {
  std::string name;  // as the database spells it
  std::string type;  // declared type ("" when none)
  bool not_null = false;
  int pk = 0;  // position in the primary key, 0 when not part of it
};

struct DbTable {
  std::string name;  // as the database spells it
  bool is_view = false;
  std::vector<DbColumn> columns;
  std::vector<std::string> primary_key;  // in key order
  // A name that addresses the rowid (`rowid`, `_rowid_` or `oid`, whichever
  // no column shadows); empty for a WITHOUT ROWID table.
  std::string rowid;
  struct ForeignKey {
    std::string from;  // column of this table
    std::string table;
    std::string to;  // column of `table`; empty: its primary key
  };
  std::vector<ForeignKey> foreign_keys;

  // Case-insensitive, as SQLite compares names. Null when absent.
  const DbColumn* column(std::string_view name) const;
};

struct DbSchema {
  std::vector<DbTable> tables;
  const DbTable* table(std::string_view name) const;
};

// Reads the tables and views of the `main` database of `db`.
Result<DbSchema> read_schema(sqlite3* db);

// SQL names compared as SQLite does: ASCII case-insensitively.
bool same_name(std::string_view a, std::string_view b);
// `"name"` with inner quotes doubled.
std::string quote_name(std::string_view name);

}  // namespace custos::retention
