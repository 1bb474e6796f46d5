// A loyalty programme on real data: points and personalised offers for the
// members of a music store (the Chinook sample database, a copy made by the
// build), and a partner who receives purchases by country. Every read goes
// through Custos and into a real audit log:
//
//   1. the points run reads every member's purchases (basis contract);
//   2. the offer run prices personalised discounts, which need consent: only
//      the members who opted in come back;
//   3. the partner share gets purchases per country in whole dollars, and
//      nobody's name (refused when asked);
//   4. a member withdraws consent in the middle of the run; the next offer
//      run skips them;
//   5. the run ends with that member's access report, read from the log.
//
//   custos_example_loyalty POLICY CHINOOK_COPY WORK_DIR
#include <cstdio>
#include <filesystem>
#include <string>

#include "custos/audit.hpp"
#include "custos/consent.hpp"
#include "custos/database.hpp"
#include "custos/engine.hpp"

namespace {

const custos::Timestamp kNow = 1795867200;  // 2026-11-28T12:00:00Z: the demo reads the same daily

[[noreturn]] void fail(const custos::Status& status) {
  std::fprintf(stderr, "custos_example_loyalty: %s\n", status.message().c_str());
  std::exit(1);
}

// Pads to `width` terminal columns, counting code points rather than bytes,
// so accented names keep the columns in line.
std::string pad(const std::string& text, std::size_t width) {
  std::size_t columns = 0;
  for (unsigned char c : text) columns += (c & 0xC0) != 0x80;
  return text + std::string(columns < width ? width - columns : 1, ' ');
}

std::unique_ptr<custos::Session> session(const custos::Database& db, const char* actor,
                                         const char* role, const char* purpose,
                                         const char* action = "read") {
  custos::SessionOptions who;
  who.actor_id = actor;
  who.roles = {role};
  who.purpose = purpose;
  who.action = action;
  auto s = db.session(who);
  if (!s.ok()) fail(s.status());
  return std::move(*s);
}

// The offer run: a discount for each consenting member, from what they spent.
// Returns how many members got an offer.
int offer_run(custos::Session& offers) {
  auto rows = offers.query(
      "SELECT c.CustomerId, c.FirstName, c.LastName, c.Email, sum(i.Total) AS spent "
      "FROM Customer c JOIN Invoice i ON i.CustomerId = c.CustomerId "
      "GROUP BY c.CustomerId ORDER BY c.CustomerId");
  if (!rows.ok()) fail(rows.status());
  int n = 0;
  while (rows->next()) {
    const double spent = rows->real(4);
    const int discount = spent >= 45 ? 15 : spent >= 38 ? 10 : 5;
    const std::string name = std::string(rows->text(1)) + " " + std::string(rows->text(2));
    std::printf("  member %-3lld %s%s %2d%% off (spent %.2f)\n",
                static_cast<long long>(rows->int64(0)), pad(name, 23).c_str(),
                pad(std::string(rows->text(3)), 24).c_str(), discount, spent);
    ++n;
  }
  if (!rows->status().ok()) fail(rows->status());
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s POLICY CHINOOK_COPY WORK_DIR\n", argv[0]);
    return 2;
  }
  const std::string work = argv[3];
  std::filesystem::remove_all(work);
  std::filesystem::create_directories(work);

  std::vector<custos::Diagnostic> diagnostics;
  auto policy = custos::Policy::load(argv[1], &diagnostics);
  if (!policy.ok()) {
    for (const auto& d : diagnostics) std::fputs(d.to_string().c_str(), stderr);
    return 1;
  }
  auto store = custos::ConsentStore::open(work + "/consent.db");
  if (!store.ok()) fail(store.status());
  // The audit log lives in its own file, never in the app's database. Sync:
  // each statement's entry is durable before its rows are used.
  custos::AuditOptions audit_options;
  audit_options.durability = custos::AuditOptions::Durability::kSync;
  auto log = custos::AuditLog::open(work + "/audit.db", audit_options);
  if (!log.ok()) fail(log.status());

  custos::EngineOptions options;
  options.consent_store = store->get();
  options.clock = [] { return kNow; };
  const custos::Engine engine(*policy, options);
  custos::DatabaseOptions db_options;
  db_options.audit = log->get();
  auto db = custos::Database::open(argv[2], engine, db_options);
  if (!db.ok()) fail(db.status());

  // Members 5, 12 and 33 opted in to personalised offers in the app.
  for (const char* member : {"5", "12", "33"}) {
    if (auto s = (*store)->grant(member, "offers", kNow - 30 * 86400, std::nullopt, "app-settings");
        !s.ok()) {
      fail(s);
    }
  }

  std::printf("1. Points run (points_engine, loyalty.points): the top members\n");
  auto points = session(**db, "points-job", "points_engine", "loyalty.points");
  auto top = points->query(
      "SELECT c.FirstName, c.LastName, count(*) AS invoices, sum(i.Total) AS spent "
      "FROM Customer c JOIN Invoice i ON i.CustomerId = c.CustomerId "
      "GROUP BY c.CustomerId ORDER BY spent DESC, c.CustomerId LIMIT 3");
  if (!top.ok()) fail(top.status());
  while (top->next()) {
    const std::string name = std::string(top->text(0)) + " " + std::string(top->text(1));
    std::printf("  %s %2lld invoices, %6.2f spent, %4lld points\n", pad(name, 22).c_str(),
                static_cast<long long>(top->int64(2)), top->real(3),
                static_cast<long long>(top->real(3) * 10));
  }
  if (!top->status().ok()) fail(top->status());

  std::printf("\n2. Offer run (offers_engine, offers.personalised): consenting members only\n");
  auto offers = session(**db, "offers-job", "offers_engine", "offers.personalised");
  const int first_run = offer_run(*offers);

  std::printf("\n3. Partner share (partner_gateway, share, partners.insights)\n");
  auto partner = session(**db, "label-partner", "partner_gateway", "partners.insights", "share");
  auto by_country = partner->query(
      "SELECT BillingCountry, count(*) AS invoices, sum(Total) AS total FROM Invoice "
      "GROUP BY BillingCountry ORDER BY total DESC, BillingCountry LIMIT 4");
  if (!by_country.ok()) fail(by_country.status());
  while (by_country->next()) {
    std::printf("  %s %3lld invoices, %7.2f (each invoice in whole dollars)\n",
                pad(std::string(by_country->text(0)), 10).c_str(),
                static_cast<long long>(by_country->int64(1)), by_country->real(2));
  }
  if (!by_country->status().ok()) fail(by_country->status());
  auto names = partner->query("SELECT FirstName, LastName FROM Customer");
  std::printf("  asking for names: %s\n",
              names.ok() ? "returned (unexpected)" : names.status().message().c_str());

  std::printf("\n4. Member 12 withdraws consent in the app\n");
  if (auto s = (*store)->withdraw("12", "offers", kNow - 3600, "app-settings"); !s.ok()) fail(s);
  const int second_run = offer_run(*offers);

  std::printf("\n5. Member 12 asks who used their data; the access report, from the log:\n\n");
  auto report = custos::audit_report(work + "/audit.db", "12", custos::ReportFormat::kText);
  if (!report.ok()) fail(report.status());
  std::fputs(report->c_str(), stdout);
  auto verified = custos::verify_audit_log(work + "/audit.db", "", {});
  if (!verified.ok()) fail(verified.status());
  std::printf("\nThe log verifies: %llu entries, head %s\n",
              static_cast<unsigned long long>(verified->entries), verified->head.c_str());

  // The example checks itself: three offers, then two; the partner never
  // sees a name; the report lists the three reads before the withdrawal.
  if (first_run != 3 || second_run != 2 || names.ok() ||
      report->find("Accesses to the data of subject 12: 3\n") != 0 || verified->entries != 5) {
    std::fprintf(stderr, "unexpected: %d offers, then %d; names %s\n", first_run, second_run,
                 names.ok() ? "returned" : "refused");
    return 1;
  }
  return 0;
}
