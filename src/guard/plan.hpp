// A session's plan: for each table of the database, how the session sees it.
//
// Bound tables become TEMP views named like them (temp is searched before
// main). A view's columns are the table's, each public (read as is),
// guarded (through custos_cell, which decides the cell for its row) or
// refused (left out in strict mode, NULL in lenient mode); its WHERE clause
// calls custos_row, which keeps only rows whose subject passes. Decided
// here, once per session and policy: which columns some rule could grant.
//
// Every read of a `main` table and every call of custos_row / custos_cell
// sits inside a CTE of the view whose name is the table's `source`: a
// per-session secret. SQLite tells the authorizer the name of the FROM term
// a read happens under, and a statement can name its own CTE like any view
// ("WITH Customer AS (SELECT * FROM main.Secret) ..."); only the secret name
// proves that a read comes from the session's own view.
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
  std::string name;  // as the database spells it
  Kind kind = Kind::kPublic;
  std::int32_t category = -1;  // guarded and refused classified columns
  std::string category_name;
  detail::Verdict refusal;  // refused: why no rule could ever grant it
};

struct PlannedTable {
  std::string name;    // as the database spells it; also the view's name
  std::string source;  // the secret name of the view's CTE (see above)
  bool is_public = false;
  std::vector<PlannedColumn> columns;  // every column of the table, in order
  // Subject attribute slots filled from the view's attribute arguments.
  std::vector<std::uint32_t> attribute_slots;
  bool any_guarded = false;  // some classified column may be granted
  std::string view_sql;      // CREATE TEMP VIEW ...
};

struct Plan {
  std::vector<PlannedTable> tables;
  const PlannedTable* view(std::string_view name) const;
  std::int32_t view_index(std::string_view name) const;
  // The table whose view's CTE is named exactly `name`, or -1.
  std::int32_t source_index(std::string_view name) const;
};

// Plans every table the policy binds. Tables the database lacks are left
// out (their reads fail as SQLite's "no such table"). `secret`: the
// session's unguessable token, from which the CTE names are made.
Result<Plan> make_plan(const DbSchema& schema, const detail::RowDecider& decider, bool lenient,
                       const std::string& secret);

// The bound tables the database lacks, or has only as views: a Database
// refuses to open over them.
Status check_bindings(const DbSchema& schema, const detail::CompiledPolicy& policy);

}  // namespace custos::guard
