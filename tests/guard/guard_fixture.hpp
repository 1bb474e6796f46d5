// A small CRM database and policy for the guard tests: customers with
// consent records, invoices and invoice lines reached `via` invoices, a
// public table, an unbound table and an app-defined view.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "catch.hpp"
#include "crypto/crypto.hpp"
#include "custos/consent.hpp"
#include "custos/database.hpp"
#include "custos/engine.hpp"

namespace custos::test {

// 2026-11-28T12:00:00Z: the clock of every guard test.
inline constexpr Timestamp kNow = 1795867200;

inline const char* kGuardPolicy = R"(policy "guard-test" version 3
category identity.name
category contact.email, contact.address
category behavior.purchases
category health.notes sensitive

purpose service.support basis contract
purpose marketing basis consent
purpose marketing.email
purpose analytics basis legitimate_interest

role agent, marketer, analyst, auditor
role supervisor : agent

attribute subject.country : string
attribute subject.age : int
attribute actor.country : string

allow agent to read identity.name, contact, behavior.purchases for service.support
allow agent to read health.notes for service.support
allow marketer to read identity.name, contact.email for marketing
allow marketer to read contact.address for marketing when subject.country == actor.country
allow analyst to read identity.name as hash, contact.address as truncate(3), behavior.purchases for analytics
allow analyst to read contact.email as mask for analytics when subject.age >= 18
@id("no-share-health") deny * to share health for *

retain identity, contact, health for 3y
retain behavior.purchases for 1y

table Customer {
  subject CustomerId
  collected CreatedAt
  FirstName, LastName : identity.name
  Email : contact.email
  City, Country : contact.address
  Notes : health.notes
  SupportRepId : public
  subject.country = Country
  subject.age = Age
  Age : public
}
table Invoice {
  subject CustomerId
  collected InvoiceDate
  Total : behavior.purchases
  InvoiceId : public
}
table InvoiceLine {
  subject Invoice.CustomerId via InvoiceId
  collected Invoice.InvoiceDate via InvoiceId
  UnitPrice, Quantity : behavior.purchases
  InvoiceLineId, InvoiceId : public
}
table Genre public
)";

inline void exec_or_fail(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  INFO((error ? error : ""));
  sqlite3_free(error);
  REQUIRE(rc == SQLITE_OK);
}

// The database file: customers 1..6 (1, 2, 3 consent to marketing; 4
// withdrew; 5 objected to analytics; 6 collected 4 years ago).
inline void write_guard_database(const std::string& path) {
  std::filesystem::remove(path);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  exec_or_fail(db, R"sql(
CREATE TABLE Customer (CustomerId INTEGER PRIMARY KEY, FirstName TEXT, LastName TEXT,
  Email TEXT, City TEXT, Country TEXT, Notes TEXT, SupportRepId INTEGER, Age INTEGER,
  CreatedAt TEXT, Password TEXT);
INSERT INTO Customer VALUES
  (1, 'Ada', 'Lovelace', 'ada@example.com', 'London', 'UK', 'asthma', 7, 36, '2025-01-10 09:00:00', 'p1'),
  (2, 'Bruno', 'Diaz', 'bruno@example.es', 'Madrid', 'ES', NULL, 7, 17, '2025-03-01', 'p2'),
  (3, 'Chloé', 'Martin', 'chloe@example.fr', 'Paris', 'FR', 'none', 8, 44, '2026-01-01T00:00:00Z', 'p3'),
  (4, 'Dev', 'Patel', 'dev@example.in', 'Leeds', 'UK', NULL, 8, 29, '2025-06-01', 'p4'),
  (5, 'Eva', 'Berg', 'eva@example.se', 'Malmö', 'SE', NULL, 7, 51, '2025-07-01', 'p5'),
  (6, 'Finn', 'Olsen', 'finn@example.no', 'Oslo', 'NO', NULL, 8, 60, '2022-11-01', 'p6');
CREATE TABLE Invoice (InvoiceId INTEGER PRIMARY KEY, CustomerId INTEGER REFERENCES Customer,
  InvoiceDate TEXT, Total REAL);
INSERT INTO Invoice VALUES (10, 1, '2026-06-01', 12.5), (11, 1, '2024-01-01', 3.0),
  (12, 2, '2026-02-01', 40.0), (13, 4, '2026-03-01', 7.25), (14, 5, '2026-04-01', 9.0);
CREATE TABLE InvoiceLine (InvoiceLineId INTEGER PRIMARY KEY,
  InvoiceId INTEGER REFERENCES Invoice(InvoiceId), UnitPrice REAL, Quantity INTEGER);
INSERT INTO InvoiceLine VALUES (100, 10, 2.5, 5), (101, 11, 1.0, 3), (102, 12, 10.0, 4),
  (103, 13, 7.25, 1), (104, 14, 4.5, 2);
CREATE TABLE Genre (GenreId INTEGER PRIMARY KEY, Name TEXT);
INSERT INTO Genre VALUES (1, 'Rock'), (2, 'Jazz');
CREATE TABLE Secret (Id INTEGER PRIMARY KEY, Value TEXT);
INSERT INTO Secret VALUES (1, 'the master key');
CREATE VIEW CustomerEmails AS SELECT CustomerId, Email FROM Customer;
CREATE INDEX customer_country ON Customer (Country);
)sql");
  sqlite3_close(db);
}

inline std::string file_sha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const crypto::Digest d = crypto::sha256(bytes);
  return crypto::to_hex(d.data(), d.size());
}

// Everything a guard test needs, in a scratch directory of its own.
struct GuardWorld {
  std::string dir;
  std::string db_path;
  std::string db_sha256;  // of the file before any test touches it
  std::unique_ptr<ConsentStore> consent;
  std::unique_ptr<Engine> engine;
  MemoryAuditSink sink;
  std::unique_ptr<Database> database;

  explicit GuardWorld(const std::string& name, bool lenient = false,
                      const std::string& policy = kGuardPolicy,
                      std::uint64_t max_statement_steps = DatabaseOptions{}.max_statement_steps) {
    dir = (std::filesystem::temp_directory_path() /
           ("custos-guard-" + name + "-" + std::to_string(::getpid())))
              .string();
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    db_path = dir + "/crm.db";
    write_guard_database(db_path);
    db_sha256 = file_sha256(db_path);
    auto store = ConsentStore::open(dir + "/consent.db");
    REQUIRE(store.ok());
    consent = std::move(*store);
    const Timestamp jan = 1767225600;  // 2026-01-01
    for (const char* s : {"1", "2", "3"}) REQUIRE(consent->grant(s, "marketing", jan).ok());
    REQUIRE(consent->grant("4", "marketing", jan).ok());
    REQUIRE(consent->withdraw("4", "marketing", jan + 86400).ok());
    REQUIRE(consent->object("5", "analytics", jan).ok());
    REQUIRE(consent->grant("1", "service.support", jan).ok());  // health notes need consent
    auto compiled = Policy::compile(policy, "guard.custos");
    REQUIRE(compiled.ok());
    EngineOptions options;
    options.clock = [] { return kNow; };
    options.consent_store = consent.get();
    options.pseudonym_key = std::string(32, 'k');
    engine = std::make_unique<Engine>(*compiled, std::move(options));
    DatabaseOptions db_options;
    db_options.lenient = lenient;
    db_options.audit = &sink;
    db_options.max_statement_steps = max_statement_steps;
    auto opened = Database::open(db_path, *engine, db_options);
    INFO(opened.status().message());
    REQUIRE(opened.ok());
    database = std::move(*opened);
  }
  bool file_unchanged() const { return file_sha256(db_path) == db_sha256; }

  ~GuardWorld() {
    database.reset();
    std::filesystem::remove_all(dir);
  }

  std::unique_ptr<Session> session(const std::string& role, const std::string& purpose,
                                   const std::string& action = "read") {
    SessionOptions who;
    who.actor_id = role + "-1";
    who.roles = {role};
    who.purpose = purpose;
    who.action = action;
    who.actor_attributes["country"] = Value::of_text("UK");
    auto s = database->session(who);
    INFO(s.status().message());
    REQUIRE(s.ok());
    return std::move(*s);
  }
};

// Every row of a query as text cells ("NULL" for NULL), or the error.
inline std::vector<std::vector<std::string>> rows_of(Session& session, const std::string& sql,
                                                     const std::vector<Value>& params = {},
                                                     std::string* error = nullptr) {
  std::vector<std::vector<std::string>> out;
  auto rows = session.query(sql, params);
  if (!rows.ok()) {
    if (error) *error = rows.status().message();
    return out;
  }
  while (rows->next()) {
    std::vector<std::string> row;
    for (int i = 0; i < rows->column_count(); ++i) {
      row.push_back(rows->is_null(i) ? "NULL" : std::string(rows->text(i)));
    }
    out.push_back(std::move(row));
  }
  if (!rows->status().ok() && error) *error = rows->status().message();
  return out;
}

using Table = std::vector<std::vector<std::string>>;

}  // namespace custos::test
