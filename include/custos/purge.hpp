// purge(): deletes or clears, in an application's SQLite file, the data that
// the policy's retention rules no longer allow to keep.
//
//   auto policy = custos::Policy::load("crm.custos");
//   if (!policy.ok()) return;
//   custos::PurgeOptions options;
//   options.dry_run = true;              // count only: the file is not touched
//   options.audit = &audit_log;          // one record per table changed or refused
//   auto report = custos::purge("crm.db", **policy, options);
//   if (!report.ok()) { log(report.status().message()); return; }
//   for (const auto& t : report->tables) show(t.name, t.rows_deleted, t.cells_cleared);
//   if (report->refused()) { /* a NOT NULL column kept a table unchanged */ }
//
// Purge works column by column (policy-lang/REFERENCE.md, "Purge"). Each
// classified column has a purge age: the longest retention period its
// category gets for any purpose that can be requested (no limit when any
// such purpose has none). A cell whose row is older than its column's purge
// age has expired. A row whose classified columns have all expired is
// deleted; the other rows keep their fresh cells and have their expired
// ones set to NULL. Rows of unknown collection time are never touched.
// Tables that are dated or linked to their subject `via` another table are
// purged before the table they reference, and a row that a remaining row
// still reaches that way is never deleted. Each table is one transaction;
// a table in which a NOT NULL column would have to be cleared is left
// unchanged, and the report names the column.
//
// Thread-safety: purge() keeps no state between calls. Purges of different
// files may run at once; purges of one file take turns on SQLite's write
// lock. A shared audit sink must be thread-safe (as every AuditSink is).
#ifndef CUSTOS_PURGE_HPP
#define CUSTOS_PURGE_HPP

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "custos/access_record.hpp"
#include "custos/export.hpp"
#include "custos/policy.hpp"
#include "custos/status.hpp"
#include "custos/value.hpp"

namespace custos {

struct PurgeOptions {
  // The time to purge at. Default: the system clock, UTC.
  std::optional<Timestamp> now;
  // Default false. True: decide and count exactly as a purge would, and
  // change nothing (the file is opened read-only). No audit record.
  bool dry_run = false;
  // Receives one record per table the purge changed, and per table it
  // refused to change: purpose "custos.purge", action "erase" (see
  // policy-lang/REFERENCE.md). Not owned. A failed append rolls that table
  // back and stops the purge (fail closed). Default: none.
  AuditSink* audit = nullptr;
  // The actor of the audit records. Default "custos".
  std::string actor = "custos";
  // How long to wait for another connection's lock on the file. Default 5 s.
  int busy_timeout_ms = 5000;
};

struct PurgeReport {
  struct Column {
    std::string name;                 // as the database spells it
    std::string category;             // as the policy binds it
    std::int64_t purge_age = -1;      // seconds; -1: no limit, never expires
    std::uint64_t cells_cleared = 0;  // set to NULL in rows that were kept
    // Expired cells that could not be cleared: the column is NOT NULL (or
    // part of the primary key). When any column has some, the table is
    // left unchanged.
    std::uint64_t cells_refused = 0;
  };
  struct Table {
    std::string name;             // as the database spells it
    std::vector<Column> columns;  // its classified columns, in binding order
    std::uint64_t rows_deleted = 0;
    std::uint64_t rows_changed = 0;   // kept, with some cells cleared
    std::uint64_t cells_cleared = 0;  // over all columns
    // Rows never purged because their collection time is unknown: NULL or
    // unreadable, no row at the end of a `via`, or (no_collected) the
    // binding has no `collected` line.
    std::uint64_t rows_unknown_time = 0;
    // Rows whose classified columns had all expired, kept because rows of
    // another table still reach them `via` a reference (their expired
    // cells are cleared, except those the other rows read).
    std::uint64_t rows_kept_referenced = 0;
    bool nothing_expires = false;  // no classified column has a purge age: not read
    bool no_collected = false;     // a column has a purge age, but the binding dates nothing
    // Columns that would have to be cleared but cannot be (see
    // Column::cells_refused). Non-empty: the table was left unchanged, and
    // rows_deleted, rows_changed and cells_cleared are 0.
    std::vector<std::string> refused_columns;
  };

  Timestamp now = 0;  // the time purged at
  bool dry_run = false;
  // Every bound table that is not `public`, in the order purged (tables
  // that reference others first).
  std::vector<Table> tables;

  // True when some table was left unchanged because of a NOT NULL column.
  bool refused() const {
    for (const auto& t : tables) {
      if (!t.refused_columns.empty()) return true;
    }
    return false;
  }
  std::uint64_t rows_deleted() const {
    std::uint64_t n = 0;
    for (const auto& t : tables) n += t.rows_deleted;
    return n;
  }
  std::uint64_t cells_cleared() const {
    std::uint64_t n = 0;
    for (const auto& t : tables) n += t.cells_cleared;
    return n;
  }
};

// Purges the SQLite file at `db_path` under `policy`'s retention rules and
// table bindings. Fails, before changing anything, when the file cannot be
// opened or the bindings do not fit it (a missing table or column, a `via`
// whose target cannot be told). A failure in the middle (an SQL error, a
// failed audit append) rolls back the table being purged and stops; tables
// purged before it stay purged, and the message says which. A NOT NULL
// refusal is not a failure: it is in the report (refused()).
CUSTOS_EXPORT Result<PurgeReport> purge(const std::string& db_path, const Policy& policy,
                                        const PurgeOptions& options = {});

}  // namespace custos

#endif  // CUSTOS_PURGE_HPP
