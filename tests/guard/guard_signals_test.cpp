// Guarded reads decide consent signals through the engine, row by row: a TC
// string in the consent store gates a purpose mapped to TCF purposes, and a
// GPC signal hides its subject's rows from a purpose marked `gpc`.
#include "../engine/tc_string_writer.hpp"
#include "guard_fixture.hpp"

using namespace custos;
using namespace custos::test;

TEST_CASE("guard: consent signals in the store decide which rows a purpose reads",
          "[guard][signals]") {
  std::string policy = kGuardPolicy;
  const auto replace = [&policy](const std::string& from, const std::string& to) {
    const auto at = policy.find(from);
    REQUIRE(at != std::string::npos);
    policy.replace(at, from.size(), to);
  };
  replace("purpose marketing.email\n",
          "purpose marketing.email tcf 1, 3\n"
          "purpose partners.sale basis consent gpc\n"
          "signals tcf vendor 755\n");
  replace("@id(\"no-share-health\")",
          "allow marketer to share identity.name for partners.sale\n@id(\"no-share-health\")");
  GuardWorld w("signals", false, policy);

  // Banner choices of 2026-01-10 for vendor 755: customers 1, 4 and 5 gave
  // TCF purposes 1 and 3; customer 2 gave only 1.
  TcSpec granting;
  granting.purposes = {1, 3};
  granting.vendors = {755};
  TcSpec partial = granting;
  partial.purposes = {1};
  const Timestamp received = 1768035600;  // 2026-01-10T09:00:00Z
  for (const char* s : {"1", "4", "5"}) {
    REQUIRE(w.consent->signal_tcf(s, encode_tc(granting), received, "web-banner").ok());
  }
  REQUIRE(w.consent->signal_tcf("2", encode_tc(partial), received, "web-banner").ok());

  // marketing.email: 1 (grant and string), 3 (grant, no string), 5 (string
  // alone); not 2 (its string lacks TCF purpose 3: the stricter wins), not
  // 4 (withdrew; the string does not undo that), not 6 (nothing).
  auto email = w.session("marketer", "marketing.email");
  CHECK(rows_of(*email, "SELECT CustomerId, Email FROM Customer ORDER BY 1") ==
        Table{{"1", "ada@example.com"}, {"3", "chloe@example.fr"}, {"5", "eva@example.se"}});
  // The parent purpose is not mapped: the strings do not touch it.
  auto marketing = w.session("marketer", "marketing");
  CHECK(rows_of(*marketing, "SELECT CustomerId FROM Customer ORDER BY 1") ==
        Table{{"1"}, {"2"}, {"3"}});

  // partners.sale: customers 1 to 3 consented; 2 then sent GPC.
  const Timestamp jan = 1767225600;  // 2026-01-01
  for (const char* s : {"1", "2", "3"}) REQUIRE(w.consent->grant(s, "partners", jan).ok());
  auto sale = w.session("marketer", "partners.sale", "share");
  CHECK(rows_of(*sale, "SELECT CustomerId, FirstName FROM Customer ORDER BY 1") ==
        Table{{"1", "Ada"}, {"2", "Bruno"}, {"3", "Chloé"}});
  REQUIRE(w.consent->signal_gpc("2", true, kNow - 3600, "Sec-GPC").ok());
  CHECK(rows_of(*sale, "SELECT CustomerId, FirstName FROM Customer ORDER BY 1") ==
        Table{{"1", "Ada"}, {"3", "Chloé"}});
  CHECK(rows_of(*sale, "SELECT count(*) FROM Customer") == Table{{"2"}});
}

TEST_CASE("guard: a subject whose consent history fails its chain reads as having no records",
          "[guard][consent][chain]") {
  GuardWorld w("tampered");
  // What an attacker who can write the store does: triggers dropped, customer
  // 4's withdrawal (record 5) and customer 5's objection to analytics
  // (record 6) turned into grants, the triggers put back exactly.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((w.dir + "/consent.db").c_str(), &db) == SQLITE_OK);
  std::string triggers;
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_schema WHERE type = 'trigger'", -1, &s,
                             nullptr) == SQLITE_OK);
  while (sqlite3_step(s) == SQLITE_ROW) {
    triggers += reinterpret_cast<const char*>(sqlite3_column_text(s, 0)) + std::string(";\n");
  }
  sqlite3_finalize(s);
  const std::string sql =
      "DROP TRIGGER consent_records_no_update; DROP TRIGGER consent_records_no_delete; "
      "DROP TRIGGER consent_signals_no_update; DROP TRIGGER consent_signals_no_delete; "
      "UPDATE consent_records SET state = 'granted' WHERE seq IN (5, 6);\n" +
      triggers;
  CHECK(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  w.consent->refresh();
  // marketing (basis consent): 4 still does not show up.
  auto marketing = w.session("marketer", "marketing");
  CHECK(rows_of(*marketing, "SELECT CustomerId FROM Customer ORDER BY 1") ==
        Table{{"1"}, {"2"}, {"3"}});
  // analytics (legitimate interest): neither 5 (whose objection was turned
  // into a grant) nor 4 (whose history may hold an objection): fail closed.
  auto analytics = w.session("analyst", "analytics");
  CHECK(rows_of(*analytics, "SELECT CustomerId FROM Customer ORDER BY 1") ==
        Table{{"1"}, {"2"}, {"3"}, {"6"}});
}
