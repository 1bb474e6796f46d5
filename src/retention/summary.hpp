// The words of a purge report, shared by the `custos purge` summary and the
// audit records of a purge, so that both say the same thing.
#pragma once

#include <string>

#include "custos/purge.hpp"

namespace custos::retention {

// One line per table, without a newline:
//   Invoice: 166 rows deleted, 4 cells cleared (BillingAddress 3, Total 1)
//   Visit: refused, left unchanged: Notes is NOT NULL, 2 expired cells cannot be cleared
//   Customer: nothing to purge (no classified column has a purge age)
// followed, when there are some, by the rows kept: `; 3 rows of unknown
// collection time kept; 1 expired row kept: other rows reach it via a reference`.
std::string describe_table(const PurgeReport::Table& table);

// `total: 170 rows deleted, 4 cells cleared in 2 tables` (tables changed),
// and `; 1 table refused` when some were.
std::string describe_total(const PurgeReport& report);

}  // namespace custos::retention
