// What the guard needs to know of an application's database: its tables and
// views, their columns, primary keys, unique columns and foreign keys. Read
// once when a Database opens.
#pragma once

#include <sqlite3.h>

#include <optional>
#include <string>
#include <vector>

#include "custos/status.hpp"

namespace custos::guard {

struct DbTable {
  std::string name;  // as the database spells it
  bool is_view = false;
  std::vector<std::string> columns;
  std::vector<std::string> types;        // declared type of each column ("" when none)
  std::vector<std::string> primary_key;  // in key order; empty: rowid only
  std::string rowid_alias;               // the INTEGER PRIMARY KEY column, if any
  std::vector<std::string> indexed;      // first columns of the table's indexes
  std::vector<std::string> unique;       // columns with a one-column unique index
  struct ForeignKey {
    std::string from;  // column of this table
    std::string table;
    std::string to;  // column of `table`; empty: its primary key
  };
  std::vector<ForeignKey> foreign_keys;

  // Case-insensitive, as SQLite compares names. Null when absent.
  const std::string* column(std::string_view name) const;
  bool is_unique(std::string_view column) const;
};

struct DbSchema {
  std::vector<DbTable> tables;
  const DbTable* table(std::string_view name) const;
};

// Reads the schema of the `main` database of `db`.
Result<DbSchema> read_schema(sqlite3* db);

// SQL names compared as SQLite does: ASCII case-insensitively.
bool same_name(std::string_view a, std::string_view b);
// `"name"` with inner quotes doubled.
std::string quote_name(std::string_view name);

}  // namespace custos::guard
