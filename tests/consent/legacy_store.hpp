// Consent stores as earlier versions of Custos wrote them (schema versions 1
// and 2, from before the chain), built with plain SQLite from the exact
// schema text of src/consent/consent_store.cpp (kSchema, kSignalsSchema),
// for the upgrade tests.
#pragma once

#include <sqlite3.h>

#include <string>

#include "catch.hpp"

namespace custos::testing {

inline constexpr const char* kLegacyRecordsSchema = R"sql(
CREATE TABLE IF NOT EXISTS consent_records (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  subject  TEXT NOT NULL,
  purpose  TEXT NOT NULL,
  state    TEXT NOT NULL CHECK (state IN ('granted', 'withdrawn', 'objected')),
  at       INTEGER NOT NULL,
  expires  INTEGER,
  source   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS consent_records_subject ON consent_records (subject, seq);
CREATE TRIGGER IF NOT EXISTS consent_records_no_update BEFORE UPDATE ON consent_records
BEGIN SELECT RAISE(ABORT, 'consent history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS consent_records_no_delete BEFORE DELETE ON consent_records
BEGIN SELECT RAISE(ABORT, 'consent history is append-only'); END;
)sql";

inline constexpr const char* kLegacySignalsSchema = R"sql(
CREATE TABLE IF NOT EXISTS consent_signals (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  subject  TEXT NOT NULL,
  kind     TEXT NOT NULL CHECK (kind IN ('tcf', 'gpc')),
  value    TEXT NOT NULL CHECK (kind = 'tcf' OR value IN ('on', 'off')),
  at       INTEGER NOT NULL,
  source   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS consent_signals_subject ON consent_signals (subject, seq);
CREATE TRIGGER IF NOT EXISTS consent_signals_no_update BEFORE UPDATE ON consent_signals
BEGIN SELECT RAISE(ABORT, 'consent history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS consent_signals_no_delete BEFORE DELETE ON consent_signals
BEGIN SELECT RAISE(ABORT, 'consent history is append-only'); END;
)sql";

// Creates `path` as a store of schema `version` (1 or 2), then runs `rows`
// (INSERTs, as that version's append() made them).
inline void make_legacy_store(const std::string& path, int version, const std::string& rows) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  std::string sql = "PRAGMA journal_mode=WAL; PRAGMA application_id=" + std::to_string(0x43555343) +
                    "; PRAGMA user_version=" + std::to_string(version) + ";" +
                    kLegacyRecordsSchema + (version >= 2 ? kLegacySignalsSchema : "") + rows;
  char* message = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  INFO((message ? message : ""));
  sqlite3_free(message);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

}  // namespace custos::testing
