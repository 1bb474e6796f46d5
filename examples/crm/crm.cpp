// Guarded reads of a real CRM database: four readers query the same Chinook
// tables (a copy made by the build; the repository's file is never opened
// for writing) through Custos, and each gets only what the example policy
// allows, in the form it allows:
//
//   1. a support agent assigned to Brazil: Brazilian customers, e-mail masked;
//   2. a marketer before any consent: nobody;
//   3. the same marketer after three customers opted in, then again after one
//      of them withdrew: the next query no longer returns her;
//   4. an analyst: hashed names, postcodes cut to three characters, sales
//      figures rounded.
//
// Every statement is recorded; the program ends with what the audit sink
// knows about the customer who withdrew.
//
//   custos_example_crm POLICY CHINOOK_COPY WORK_DIR
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "custos/consent.hpp"
#include "custos/database.hpp"
#include "custos/engine.hpp"

namespace {

const custos::Timestamp kNow = 1795867200;  // 2026-11-28T12:00:00Z

// Pads to `width` terminal columns, counting code points rather than bytes,
// so accented names keep the columns in line.
std::string pad(const std::string& text, std::size_t width) {
  std::size_t columns = 0;
  for (unsigned char c : text) columns += (c & 0xC0) != 0x80;
  return text + std::string(columns < width ? width - columns : 1, ' ');
}

// Runs one statement in a session and prints its rows as a table. Returns
// the number of rows, or -1 when the statement failed or was refused.
long print_query(custos::Session& session, const std::string& sql) {
  std::printf("  %s\n", sql.c_str());
  auto rows = session.query(sql);
  if (!rows.ok()) {
    std::printf("  -> refused: %s\n", rows.status().message().c_str());
    return -1;
  }
  std::vector<std::vector<std::string>> table;
  std::vector<std::string> header;
  for (int i = 0; i < rows->column_count(); ++i) header.push_back(rows->column_name(i));
  table.push_back(header);
  while (rows->next()) {
    std::vector<std::string> row;
    for (int i = 0; i < rows->column_count(); ++i) {
      row.push_back(rows->is_null(i) ? "NULL" : std::string(rows->text(i)));
    }
    table.push_back(std::move(row));
  }
  if (!rows->status().ok()) {
    std::printf("  -> error: %s\n", rows->status().message().c_str());
    return -1;
  }
  std::vector<std::size_t> width(header.size(), 0);
  for (const auto& row : table) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      std::size_t columns = 0;
      for (unsigned char c : row[i]) columns += (c & 0xC0) != 0x80;
      width[i] = std::max(width[i], columns + 2);
    }
  }
  for (const auto& row : table) {
    std::string line = "    ";
    for (std::size_t i = 0; i < row.size(); ++i) line += pad(row[i], width[i]);
    std::printf("%s\n", line.c_str());
  }
  std::printf("  -> %zu rows\n", table.size() - 1);
  return static_cast<long>(table.size() - 1);
}

std::unique_ptr<custos::Session> open_session(const custos::Database& db, const char* actor,
                                              const char* role, const char* purpose,
                                              custos::Attributes attributes = {}) {
  custos::SessionOptions who;
  who.actor_id = actor;
  who.roles = {role};
  who.purpose = purpose;
  who.actor_attributes = std::move(attributes);
  auto session = db.session(who);
  if (!session.ok()) {
    std::fprintf(stderr, "cannot open a session: %s\n", session.status().message().c_str());
    std::exit(1);
  }
  return std::move(*session);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s POLICY CHINOOK_COPY WORK_DIR\n", argv[0]);
    return 2;
  }
  const std::string work = argv[3];
  std::filesystem::create_directories(work);
  std::filesystem::remove(work + "/consent.db");

  std::vector<custos::Diagnostic> diagnostics;
  auto policy = custos::Policy::load(argv[1], &diagnostics);
  if (!policy.ok()) {
    for (const auto& d : diagnostics) std::fputs(d.to_string().c_str(), stderr);
    return 1;
  }
  auto store = custos::ConsentStore::open(work + "/consent.db");
  auto key = custos::load_pseudonym_key(work + "/pseudonym.key");
  if (!store.ok() || !key.ok()) {
    std::fprintf(stderr, "%s\n", (!store.ok() ? store.status() : key.status()).message().c_str());
    return 1;
  }
  custos::EngineOptions options;
  options.consent_store = store->get();
  options.pseudonym_key = *key;
  options.clock = [] { return kNow; };  // a fixed day: the demo reads the same every time
  const custos::Engine engine(*policy, options);
  custos::MemoryAuditSink audit;
  custos::DatabaseOptions db_options;
  db_options.audit = &audit;
  auto db = custos::Database::open(argv[2], engine, db_options);
  if (!db.ok()) {
    std::fprintf(stderr, "%s\n", db.status().message().c_str());
    return 1;
  }

  std::printf("1. Support agent (assigned to Brazil), for service.support\n");
  auto agent =
      open_session(**db, "agent-7", "support_agent", "service.support",
                   {{"regions", custos::Value::of_list({custos::Value::of_text("Brazil")})}});
  print_query(*agent,
              "SELECT CustomerId, FirstName, LastName, Email, Country FROM Customer LIMIT 4");
  print_query(*agent, "SELECT FirstName, Phone FROM Customer WHERE Country = 'France'");

  std::printf("\n2. Marketer, for marketing.email, before anyone opted in\n");
  auto marketer = open_session(**db, "m-1", "marketer", "marketing.email");
  const long before = print_query(*marketer, "SELECT CustomerId, FirstName, Email FROM Customer");
  print_query(*marketer, "SELECT Phone FROM Customer");

  std::printf("\n3. Customers 1, 12 and 15 opt in to marketing e-mail\n");
  for (const char* customer : {"1", "12", "15"}) {
    if (!(*store)
             ->grant(customer, "marketing", kNow - 86400, std::nullopt, "newsletter-form")
             .ok()) {
      return 1;
    }
  }
  const long after = print_query(*marketer, "SELECT CustomerId, FirstName, Email FROM Customer");
  std::printf("   Customer 12 (Roberto Almeida) withdraws his consent.\n");
  if (!(*store)->withdraw("12", "marketing", kNow - 60, "preference-centre").ok()) return 1;
  const long withdrawn =
      print_query(*marketer, "SELECT CustomerId, FirstName, Email FROM Customer");

  std::printf("\n4. Analyst (level 2), for analytics.sales\n");
  auto analyst = open_session(**db, "an-3", "analyst", "analytics.sales",
                              {{"level", custos::Value::of_int(2)}});
  print_query(*analyst, "SELECT FirstName, LastName, PostalCode, Country FROM Customer LIMIT 4");
  // Purchases are kept three years: older totals are withheld (NULL), and
  // the analyst's sums see only the rest, each rounded down to tens.
  print_query(*analyst,
              "SELECT substr(InvoiceDate, 1, 4) AS year, count(*) AS invoices, count(Total) AS "
              "visible, sum(Total) AS total FROM Invoice GROUP BY year ORDER BY year");

  std::printf("\nWhat the audit sink recorded about customer 12:\n");
  for (const auto& r : audit.records()) {
    for (const auto& s : r.subjects) {
      if (s != "12") continue;
      std::printf("  %s (%s) for %s: %s\n", r.actor.c_str(), r.roles[0].c_str(), r.purpose.c_str(),
                  r.sql.c_str());
    }
  }
  // The demo checks itself: no consent, no rows; the withdrawal took effect.
  if (before != 0 || after != 3 || withdrawn != 2) {
    std::fprintf(stderr, "unexpected row counts: %ld, %ld, %ld\n", before, after, withdrawn);
    return 1;
  }
  return 0;
}
