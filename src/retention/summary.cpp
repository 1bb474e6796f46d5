#include "retention/summary.hpp"

namespace custos::retention {
namespace {

std::string count(std::uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

std::string describe_table(const PurgeReport::Table& t) {
  std::string out = t.name + ": ";
  if (t.nothing_expires) return out + "nothing to purge (no classified column has a purge age)";
  if (t.no_collected) {
    return out + "not purged: the binding has no `collected` line (" +
           count(t.rows_unknown_time, "row", "rows") + " of unknown collection time)";
  }
  if (!t.refused_columns.empty()) {
    out += "refused, left unchanged:";
    bool first = true;
    for (const auto& c : t.columns) {
      if (c.cells_refused == 0) continue;
      out += std::string(first ? " " : "; ") + c.name + " is NOT NULL, " +
             count(c.cells_refused, "expired cell", "expired cells") + " cannot be cleared";
      first = false;
    }
  } else {
    out += count(t.rows_deleted, "row", "rows") + " deleted, " +
           count(t.cells_cleared, "cell", "cells") + " cleared";
    std::string per_column;
    for (const auto& c : t.columns) {
      if (c.cells_cleared == 0) continue;
      per_column +=
          (per_column.empty() ? "" : ", ") + c.name + " " + std::to_string(c.cells_cleared);
    }
    if (!per_column.empty()) out += " (" + per_column + ")";
  }
  if (t.rows_unknown_time > 0) {
    out += "; " + count(t.rows_unknown_time, "row", "rows") + " of unknown collection time kept";
  }
  if (t.rows_kept_referenced > 0) {
    out += "; " + count(t.rows_kept_referenced, "expired row", "expired rows") +
           " kept: other rows reach " + (t.rows_kept_referenced == 1 ? "it" : "them") +
           " via a reference";
  }
  return out;
}

std::string describe_total(const PurgeReport& report) {
  std::uint64_t changed = 0, refused = 0;
  for (const auto& t : report.tables) {
    if (!t.refused_columns.empty()) ++refused;
    if (t.rows_deleted > 0 || t.cells_cleared > 0) ++changed;
  }
  std::string out = "total: " + count(report.rows_deleted(), "row", "rows") + " deleted, " +
                    count(report.cells_cleared(), "cell", "cells") + " cleared in " +
                    count(changed, "table", "tables");
  if (refused > 0) out += "; " + count(refused, "table", "tables") + " refused";
  return out;
}

}  // namespace custos::retention
