// A session's plan: for each bound table of the database, how the session
// sees it.
//
// Each bound table becomes a virtual table in `temp`, named like it (temp is
// searched before main), served by the guard's module (vtab.cpp). The module
// reads the table with an internal SELECT and returns only the rows whose
// subject passes; SQLite evaluates a statement's own WHERE, JOIN and
// aggregates on those rows alone, so no expression of the statement ever
// sees a row the session may not see. A column is public (returned as
// stored), guarded (decided per cell: plain, transformed or NULL) or refused
// (left out in strict mode, NULL in lenient mode). Decided here, once per
// session and policy: which columns some rule could grant.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "custos/status.hpp"
#include "engine/row_decider.hpp"
#include "guard/schema.hpp"

namespace custos::guard {

struct PlannedColumn {
  enum class Kind : std::uint8_t { kPublic, kGuarded, kRefused };
  // How rows can be found by this column's value (public columns only).
  enum class Seek : std::uint8_t { kNone, kIndexed, kUnique, kRowid };
  std::string name;  // as the database spells it
  std::string type;  // declared type
  Kind kind = Kind::kPublic;
  Seek seek = Seek::kNone;
  std::int32_t category = -1;  // guarded and refused classified columns
  std::string category_name;
  detail::Verdict refusal;  // refused: why no rule could ever grant it
  int base = -1;            // its value's index in the internal SELECT
};

struct PlannedTable {
  std::string name;  // as the database spells it; also the virtual table's name
  bool is_public = false;
  std::vector<PlannedColumn> columns;  // every column of the table, in order
  std::vector<int> visible;            // the columns the virtual table declares
  std::string select;                  // the internal SELECT, without WHERE
  // Its row filter, a WHERE term ("" for a public table): custos_admit(
  // subject, collected, bound subject attributes...). Rows it turns down are
  // never decoded further nor returned to the virtual table.
  std::string admit;
  bool has_collected = false;                  // the binding names a collection time
  std::vector<std::uint32_t> attribute_slots;  // the condition slots the attributes fill
  bool any_guarded = false;                    // some classified column may be granted
  std::string declare_sql;                     // for sqlite3_declare_vtab
};

struct Plan {
  std::vector<PlannedTable> tables;
  const PlannedTable* table(std::string_view name) const;
  std::int32_t table_index(std::string_view name) const;
};

// Plans every table the policy binds. Tables the database lacks are left
// out (their reads fail as SQLite's "no such table").
Result<Plan> make_plan(const DbSchema& schema, const detail::RowDecider& decider, bool lenient);

// The bound tables the database lacks, or has only as views: a Database
// refuses to open over them.
Status check_bindings(const DbSchema& schema, const detail::CompiledPolicy& policy);

}  // namespace custos::guard
