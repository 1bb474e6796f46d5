// Purge (LANGUAGE.md §5, "Purge works per column"; REFERENCE.md §8, "Purge"):
// what remains of scratch databases after a purge, row by row and cell by
// cell; purge ages; `via` ordering; NOT NULL refusals; dry runs; audit.
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "catch.hpp"
#include "crypto/crypto.hpp"
#include "custos/purge.hpp"
#include "policy/compiled_policy.hpp"
#include "retention/purge_ages.hpp"
#include "retention/summary.hpp"

using namespace custos;
namespace fs = std::filesystem;

namespace {

// 2026-11-28T12:00:00Z: the clock of every purge test.
constexpr Timestamp kNow = 1795867200;
constexpr Timestamp kDay = 86400;

std::string rfc3339_ago(std::int64_t days) {
  return detail::format_rfc3339(kNow - days * kDay);
}
// `YYYY-MM-DD HH:MM:SS`, SQLite's own form.
std::string sqlite_ago(std::int64_t days) {
  std::string t = rfc3339_ago(days);
  t[10] = ' ';
  t.pop_back();
  return t;
}
// `YYYY-MM-DD`: midnight UTC of that day.
std::string date_ago(std::int64_t days) {
  return rfc3339_ago(days).substr(0, 10);
}

using Table = std::vector<std::vector<std::string>>;

void exec_or_fail(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  INFO(sql);
  INFO((error ? error : ""));
  sqlite3_free(error);
  REQUIRE(rc == SQLITE_OK);
}

// Every row of a query, as text cells ("NULL" for NULL).
Table dump(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  INFO(sql);
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
  Table out;
  while (sqlite3_step(s) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(s); ++i) {
      const auto* text = sqlite3_column_text(s, i);
      row.push_back(text ? reinterpret_cast<const char*>(text) : "NULL");
    }
    out.push_back(std::move(row));
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string file_sha256(const std::string& path) {
  const crypto::Digest d = crypto::sha256(slurp(path));
  return crypto::to_hex(d.data(), d.size());
}

std::shared_ptr<const Policy> compile(const std::string& text) {
  std::vector<Diagnostic> diagnostics;
  auto p = Policy::compile(text, "purge.custos", &diagnostics);
  for (const auto& d : diagnostics) UNSCOPED_INFO(d.to_string());
  REQUIRE(p.ok());
  return *p;
}

// Everything a report says, as lines, to compare two reports.
std::vector<std::string> lines_of(const PurgeReport& r) {
  std::vector<std::string> out;
  for (const auto& t : r.tables) {
    out.push_back(retention::describe_table(t));
    for (const auto& c : t.columns) {
      out.push_back("  " + c.name + " " + c.category + " " + std::to_string(c.purge_age) + " " +
                    std::to_string(c.cells_cleared) + " " + std::to_string(c.cells_refused));
    }
  }
  out.push_back(retention::describe_total(r));
  return out;
}

const PurgeReport::Table& table_of(const PurgeReport& r, const std::string& name) {
  for (const auto& t : r.tables) {
    if (t.name == name) return t;
  }
  FAIL("no table " << name << " in the report");
  return r.tables.front();
}

const PurgeReport::Column& column_of(const PurgeReport::Table& t, const std::string& name) {
  for (const auto& c : t.columns) {
    if (c.name == name) return c;
  }
  FAIL("no column " << name << " in the report of " << t.name);
  return t.columns.front();
}

// Purge ages of the shop policy below: identity 3y, contact.email 2y,
// contact.phone 1y, contact (both leaves) 2y, purchases 7y (1y, but 7y for
// legal.tax), visits 90d, health notes 30d. `service` is implied by
// `service.support` and has no basis: it cannot be requested.
const char* kShopPolicy = R"(policy "shop" version 4
category identity.name
category contact.email, contact.phone
category behavior.purchases, behavior.visits
category health.notes sensitive

purpose service.support basis contract
purpose marketing basis consent
purpose marketing.email
purpose legal.tax basis legal_obligation

role agent
allow agent to read * for service.support

retain identity for 3y
retain contact.email for 2y
retain contact.phone for 1y
retain behavior.purchases for 1y
retain behavior.purchases for 7y for legal.tax
retain behavior.visits for 90d
retain health.notes for 30d

table Customer {
  subject Id
  collected CreatedAt
  Name : identity.name
  Email : contact.email
  Phone : contact.phone
  Notes : health.notes
  Tier : public
}
table Lead {
  subject Id
  collected At
  Contact : contact
  Visits : behavior.visits
}
table Orders {
  subject CustomerId
  collected PlacedAt
  Total : behavior.purchases
  Note : behavior.visits
  OrderId : public
}
table OrderLine {
  subject Orders.CustomerId via OrderId
  collected Orders.PlacedAt via OrderId
  Item : behavior.visits
  Price : behavior.purchases
  LineId, OrderId : public
}
table Visit {
  subject CustomerId
  collected At
  Page : behavior.visits
  VisitId : public
}
table VisitComment {
  subject Visit.CustomerId via VisitId
  collected Visit.At via VisitId
  Body : identity.name
  CommentId, VisitId : public
}
table Genre public
)";

// The Account table of the NOT NULL cases: Login must be cleared in row 2
// (3y old: identity expired, purchases not) but is NOT NULL.
const char* kAccountBinding = R"(
table Account {
  subject Id
  collected At
  Login : identity.name
  Email : contact.email
  Spend : behavior.purchases
}
)";

struct Shop {
  std::string dir, db;

  explicit Shop(const std::string& name, bool with_account = false) {
    dir = (fs::temp_directory_path() / ("custos-purge-" + name + "-" + std::to_string(::getpid())))
              .string();
    fs::remove_all(dir);
    fs::create_directories(dir);
    db = dir + "/shop.db";
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
    // Times in every stored form: RFC 3339 (with an offset too), SQLite's
    // `YYYY-MM-DD HH:MM:SS` and `YYYY-MM-DD`, and unix seconds. CreatedAt
    // has no declared type, so an integer stays an integer.
    std::string offset = detail::format_rfc3339(kNow - 1200 * kDay + 2 * 3600);
    offset.pop_back();
    offset += "+02:00";  // the same instant as 1200 days ago
    exec_or_fail(h,
                 "CREATE TABLE Customer (Id INTEGER PRIMARY KEY, Name TEXT, Email TEXT, "
                 "Phone TEXT, Notes TEXT, Tier TEXT, CreatedAt);"
                 "INSERT INTO Customer VALUES "
                 "(1, 'Ada', 'ada@x', '111', 'n1', 'gold', '" +
                     rfc3339_ago(10) +
                     "'),"
                     "(2, 'Bo', 'bo@x', '222', 'n2', 'gold', '" +
                     sqlite_ago(60) +
                     "'),"
                     "(3, 'Cy', 'cy@x', '333', 'n3', 'silver', " +
                     std::to_string(kNow - 400 * kDay) +
                     "),"
                     "(4, 'Di', 'di-unique-cleared@x', '444', 'n4', 'silver', '" +
                     date_ago(800) +
                     "'),"
                     "(5, 'Ed', 'ed-unique-purged@x', '555', 'n5', 'bronze', '" +
                     rfc3339_ago(1200) +
                     "'),"
                     "(6, 'Fa', 'fa@x', '666', 'n6', NULL, NULL),"
                     "(7, 'Gu', 'gu@x', '777', 'n7', NULL, 'last tuesday'),"
                     "(8, 'Ho', 'ho@x', '888', NULL, NULL, '" +
                     rfc3339_ago(365) +
                     "'),"
                     "(9, 'Io', 'io@x', '999', NULL, NULL, " +
                     std::to_string(kNow - 365 * kDay - 1) +
                     "),"
                     "(10, 'Jo', 'jo@x', '000', 'n10', NULL, '" +
                     rfc3339_ago(-5) +
                     "'),"
                     "(11, 'Ka', NULL, NULL, NULL, NULL, '" +
                     offset + "');");
    exec_or_fail(h,
                 "CREATE TABLE Lead (Id INTEGER PRIMARY KEY, Contact TEXT, Visits TEXT, At);"
                 "INSERT INTO Lead VALUES (1, 'l1@x', 'v1', '" +
                     rfc3339_ago(100) + "'), (2, 'l2@x', 'v2', '" + rfc3339_ago(500) +
                     "'), (3, 'l3@x', 'v3', '" + rfc3339_ago(800) + "');");
    // Parents are created (and bound) before their children, so the purge
    // order is the policy's only through the `via` links.
    exec_or_fail(h,
                 "CREATE TABLE Orders (OrderId INTEGER PRIMARY KEY, CustomerId INTEGER, "
                 "PlacedAt TEXT, Total REAL, Note TEXT);"
                 "INSERT INTO Orders VALUES (10, 1, '" +
                     rfc3339_ago(30) + "', 9.5, 'gift'), (11, 1, '" + rfc3339_ago(200) +
                     "', 20.0, 'rush'), (12, 2, '" + rfc3339_ago(1100) +
                     "', 30.0, 'n'), (13, 3, '" + rfc3339_ago(3000) +
                     "', 40.0, 'old'), (14, 4, NULL, 50.0, 'x');"
                     "CREATE TABLE OrderLine (LineId INTEGER PRIMARY KEY, "
                     "OrderId INTEGER REFERENCES Orders(OrderId), Item TEXT, Price REAL);"
                     "INSERT INTO OrderLine VALUES (100, 10, 'a', 1.0), (101, 11, 'b', 2.0), "
                     "(102, 12, 'c', 3.0), (103, 13, 'd', 4.0), (104, 13, 'e', 5.0), "
                     "(105, 99, 'f', 6.0), (106, 14, 'g', 7.0);");
    exec_or_fail(h,
                 "CREATE TABLE Visit (VisitId INTEGER PRIMARY KEY, CustomerId INTEGER, At TEXT, "
                 "Page TEXT);"
                 "INSERT INTO Visit VALUES (20, 1, '" +
                     rfc3339_ago(200) + "', '/a'), (21, 1, '" + rfc3339_ago(200) +
                     "', '/b'), (22, 2, '" + rfc3339_ago(1200) + "', '/c'), (23, 2, '" +
                     rfc3339_ago(10) +
                     "', '/d');"
                     "CREATE TABLE VisitComment (CommentId INTEGER PRIMARY KEY, VisitId "
                     "INTEGER, Body TEXT);"
                     "INSERT INTO VisitComment VALUES (200, 20, 'hello'), (201, 22, 'old');"
                     "CREATE TABLE Genre (GenreId INTEGER PRIMARY KEY, Name TEXT);"
                     "INSERT INTO Genre VALUES (1, 'Rock');");
    if (with_account) {
      exec_or_fail(h,
                   "CREATE TABLE Account (Id INTEGER PRIMARY KEY, Login TEXT NOT NULL, "
                   "Email TEXT, Spend REAL, At TEXT);"
                   "INSERT INTO Account VALUES (1, 'a1', 'a1@x', 1.0, '" +
                       rfc3339_ago(10) + "'), (2, 'a2', 'a2@x', 2.0, '" + rfc3339_ago(1200) +
                       "'), (3, 'a3', 'a3@x', 3.0, '" + rfc3339_ago(800) + "');");
    }
    sqlite3_close(h);
  }
  ~Shop() { fs::remove_all(dir); }

  Table rows(const std::string& table) const {
    return dump(db, "SELECT * FROM " + table + " ORDER BY rowid");
  }
};

Result<PurgeReport> run(const std::string& db, const Policy& policy, bool dry_run = false,
                        AuditSink* audit = nullptr) {
  PurgeOptions options;
  options.now = kNow;
  options.dry_run = dry_run;
  options.audit = audit;
  return purge(db, policy, options);
}

}  // namespace

TEST_CASE("purge: purge ages over the requestable purposes", "[purge]") {
  auto policy = compile(kShopPolicy);
  const auto& cp = detail::PolicyAccess::compiled(*policy);
  const auto ages = retention::category_purge_ages(cp);
  const auto age = [&](const std::string& name) {
    const auto id = cp.category_table.find(name);
    REQUIRE(id >= 0);
    return ages[static_cast<std::size_t>(id)];
  };
  CHECK(age("identity.name") == 3 * 365 * kDay);
  CHECK(age("contact.email") == 2 * 365 * kDay);
  CHECK(age("contact.phone") == 365 * kDay);
  CHECK(age("contact") == 2 * 365 * kDay);             // the longest of its leaves
  CHECK(age("behavior.purchases") == 7 * 365 * kDay);  // for legal.tax
  CHECK(age("behavior.visits") == 90 * kDay);
  CHECK(age("health.notes") == 30 * kDay);
  CHECK(age("behavior") == 7 * 365 * kDay);

  // An implied purpose without a basis cannot be requested: neither its
  // lack of a rule (no limit) nor a longer rule for it counts.
  auto implied = compile(R"(policy "p" version 1
category a, b, c
purpose service basis contract
purpose research.internal basis legitimate_interest
retain a for 1y for service, research.internal
retain b for 1y
retain b for 10y for research
retain b for 30d for research.internal
retain c for 1y for service
)");
  const auto& icp = detail::PolicyAccess::compiled(*implied);
  const auto iages = retention::category_purge_ages(icp);
  const auto iage = [&](const std::string& name) {
    return iages[static_cast<std::size_t>(icp.category_table.find(name))];
  };
  CHECK(iage("a") == 365 * kDay);  // `research` has no rule, but cannot be requested
  CHECK(iage("b") == 365 * kDay);  // `research` would get 10y, research.internal gets 30d
  CHECK(iage("c") == -1);          // research.internal can be requested and has no limit
}

TEST_CASE("purge: what remains, cell by cell", "[purge]") {
  Shop shop("remains");
  auto policy = compile(kShopPolicy);
  MemoryAuditSink sink;
  auto report = run(shop.db, *policy, false, &sink);
  INFO(report.status().message());
  REQUIRE(report.ok());
  CHECK_FALSE(report->refused());
  CHECK(report->now == kNow);

  // Customer: 2 Notes (30d); 3 Phone (1y) too; 4 Email (2y) too, Name (3y)
  // kept; 5 and 11 (every column expired, or NULL) deleted; 6 and 7 unknown
  // times; 8 exactly one year old (not older): Phone kept; 9 one second
  // more: Phone cleared; 10 dated in the future.
  CHECK(shop.rows("Customer") ==
        Table{{"1", "Ada", "ada@x", "111", "n1", "gold", rfc3339_ago(10)},
              {"2", "Bo", "bo@x", "222", "NULL", "gold", sqlite_ago(60)},
              {"3", "Cy", "cy@x", "NULL", "NULL", "silver", std::to_string(kNow - 400 * kDay)},
              {"4", "Di", "NULL", "NULL", "NULL", "silver", date_ago(800)},
              {"6", "Fa", "fa@x", "666", "n6", "NULL", "NULL"},
              {"7", "Gu", "gu@x", "777", "n7", "NULL", "last tuesday"},
              {"8", "Ho", "ho@x", "888", "NULL", "NULL", rfc3339_ago(365)},
              {"9", "Io", "io@x", "NULL", "NULL", "NULL", std::to_string(kNow - 365 * kDay - 1)},
              {"10", "Jo", "jo@x", "000", "n10", "NULL", rfc3339_ago(-5)}});
  // Lead.Contact is bound to `contact`: 2y, the longer of its leaves (a
  // phone alone would be 1y). Lead 3 is past both columns: deleted.
  CHECK(shop.rows("Lead") ==
        Table{{"1", "l1@x", "NULL", rfc3339_ago(100)}, {"2", "l2@x", "NULL", rfc3339_ago(500)}});
  // Orders: purchases are kept 7y (for legal.tax) though 1y for everything
  // else, so order 12 (3 years old) keeps its Total; 13 (8 years) goes; 14
  // has no date.
  CHECK(shop.rows("Orders") == Table{{"10", "1", rfc3339_ago(30), "9.5", "gift"},
                                     {"11", "1", rfc3339_ago(200), "20.0", "NULL"},
                                     {"12", "2", rfc3339_ago(1100), "30.0", "NULL"},
                                     {"14", "4", "NULL", "50.0", "x"}});
  // OrderLine is dated through Orders: 103 and 104 went with order 13 (and
  // before it); 105 reaches no order and 106 an undated one: unknown.
  CHECK(shop.rows("OrderLine") == Table{{"100", "10", "a", "1.0"},
                                        {"101", "11", "NULL", "2.0"},
                                        {"102", "12", "NULL", "3.0"},
                                        {"105", "99", "f", "6.0"},
                                        {"106", "14", "g", "7.0"}});
  // Visit 20 has expired (Page, 90d), but comment 200 (identity, 3y) still
  // reads its date and subject through it: kept, Page cleared. 21 has no
  // comment: deleted. 22's comment expired with it: both deleted.
  CHECK(shop.rows("Visit") ==
        Table{{"20", "1", rfc3339_ago(200), "NULL"}, {"23", "2", rfc3339_ago(10), "/d"}});
  CHECK(shop.rows("VisitComment") == Table{{"200", "20", "hello"}});
  CHECK(shop.rows("Genre") == Table{{"1", "Rock"}});
  // No remaining child row lost the row it is dated by.
  CHECK(dump(shop.db,
             "SELECT count(*) FROM VisitComment c WHERE NOT EXISTS (SELECT 1 FROM Visit v "
             "WHERE v.VisitId = c.VisitId)") == Table{{"0"}});
  CHECK(dump(shop.db,
             "SELECT LineId FROM OrderLine l WHERE NOT EXISTS (SELECT 1 FROM Orders o "
             "WHERE o.OrderId = l.OrderId)") == Table{{"105"}});  // never had one

  // The report: children before parents, every count.
  std::vector<std::string> order;
  for (const auto& t : report->tables) order.push_back(t.name);
  CHECK(order == std::vector<std::string>{"Customer", "Lead", "OrderLine", "Orders", "VisitComment",
                                          "Visit"});
  const auto& customer = table_of(*report, "Customer");
  CHECK(customer.rows_deleted == 2);
  CHECK(customer.rows_changed == 4);
  CHECK(customer.cells_cleared == 7);
  CHECK(customer.rows_unknown_time == 2);
  CHECK(column_of(customer, "Name").cells_cleared == 0);
  CHECK(column_of(customer, "Email").cells_cleared == 1);
  CHECK(column_of(customer, "Phone").cells_cleared == 3);
  CHECK(column_of(customer, "Notes").cells_cleared == 3);
  CHECK(column_of(customer, "Notes").purge_age == 30 * kDay);
  CHECK(customer.columns.size() == 4);  // Tier is public; Id and CreatedAt do not count
  CHECK(retention::describe_table(customer) ==
        "Customer: 2 rows deleted, 7 cells cleared (Email 1, Phone 3, Notes 3); 2 rows of "
        "unknown collection time kept");
  CHECK(retention::describe_table(table_of(*report, "Lead")) ==
        "Lead: 1 row deleted, 2 cells cleared (Visits 2)");
  CHECK(retention::describe_table(table_of(*report, "OrderLine")) ==
        "OrderLine: 2 rows deleted, 2 cells cleared (Item 2); 2 rows of unknown collection time "
        "kept");
  CHECK(retention::describe_table(table_of(*report, "Orders")) ==
        "Orders: 1 row deleted, 2 cells cleared (Note 2); 1 row of unknown collection time kept");
  CHECK(retention::describe_table(table_of(*report, "VisitComment")) ==
        "VisitComment: 1 row deleted, 0 cells cleared");
  CHECK(retention::describe_table(table_of(*report, "Visit")) ==
        "Visit: 2 rows deleted, 1 cell cleared (Page 1); 1 expired row kept: other rows reach it "
        "via a reference");
  CHECK(retention::describe_total(*report) ==
        "total: 9 rows deleted, 14 cells cleared in 6 tables");

  // One audit record per table changed, in purge order.
  const auto records = sink.records();
  REQUIRE(records.size() == 6);
  const AccessRecord& r = records[0];
  CHECK(r.time == kNow);
  CHECK(r.actor == "custos");
  CHECK(r.purpose == "custos.purge");
  CHECK(r.action == "erase");
  CHECK(r.tables == std::vector<std::string>{"Customer"});
  CHECK(r.rows == 6);
  CHECK(r.subjects == std::vector<std::string>{"2", "3", "4", "5", "9", "11"});
  CHECK(r.sql == "purge " + retention::describe_table(customer));
  CHECK(r.fingerprint.size() == 16);
  CHECK_FALSE(r.refused);
  REQUIRE(r.columns.size() == 4);  // rows were deleted: every classified column lost cells
  CHECK(r.columns[0].column == "Name");
  CHECK(r.columns[0].category == "identity.name");
  CHECK_FALSE(r.columns[0].allowed);
  CHECK(r.columns[0].withheld == std::vector<Reason>{Reason::kRetentionExpired});
  CHECK(r.policy.name() == "shop");
  CHECK(r.policy.version == 4);
  CHECK(r.policy.sha256_hex() == policy->sha256());
  // OrderLine's subjects come through Orders, read before order 13 went.
  CHECK(records[2].tables == std::vector<std::string>{"OrderLine"});
  CHECK(records[2].subjects == std::vector<std::string>{"1", "2", "3"});
  CHECK(records[2].rows == 4);
  // Lead deleted a row: both columns listed; Orders only cleared Notes
  // and deleted one row.
  CHECK(records[5].tables == std::vector<std::string>{"Visit"});
  CHECK(records[5].subjects == std::vector<std::string>{"1", "2"});

  // Purged content is overwritten in the file, not left in free space
  // (secure_delete, which some SQLite builds, Debian's among them, turn on
  // by default anyway).
  const std::string bytes = slurp(shop.db);
  CHECK(bytes.find("ed-unique-purged@x") == std::string::npos);
  CHECK(bytes.find("di-unique-cleared@x") == std::string::npos);

  // A second purge at the same time finds nothing more to do, and logs nothing.
  sink.clear();
  auto again = run(shop.db, *policy, false, &sink);
  REQUIRE(again.ok());
  CHECK(again->rows_deleted() == 0);
  CHECK(again->cells_cleared() == 0);
  CHECK(sink.records().empty());
}

TEST_CASE("purge: a dry run changes nothing and reports the same", "[purge]") {
  Shop dry("dry");
  Shop real("real");
  auto policy = compile(kShopPolicy);
  const std::string before = file_sha256(dry.db);
  CHECK(slurp(dry.db).find("ed-unique-purged@x") != std::string::npos);
  MemoryAuditSink sink;
  auto dry_report = run(dry.db, *policy, true, &sink);
  INFO(dry_report.status().message());
  REQUIRE(dry_report.ok());
  CHECK(dry_report->dry_run);
  CHECK(file_sha256(dry.db) == before);
  CHECK(sink.records().empty());  // nothing was erased, nothing is logged
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dry.dir))
    files.push_back(e.path().filename().string());
  CHECK(files == std::vector<std::string>{"shop.db"});  // no journal left behind either

  auto real_report = run(real.db, *policy);
  REQUIRE(real_report.ok());
  CHECK_FALSE(real_report->dry_run);
  // Same decisions, including those that depend on the order (Visit 20 is
  // kept in the dry run too, though its comment was never deleted).
  CHECK(lines_of(*dry_report) == lines_of(*real_report));

  // A dry run of a purged file: nothing left to do.
  auto after = run(real.db, *policy, true);
  REQUIRE(after.ok());
  CHECK(after->rows_deleted() == 0);
  CHECK(after->cells_cleared() == 0);
}

TEST_CASE("purge: a NOT NULL column that must be cleared leaves its table unchanged", "[purge]") {
  const std::string text = std::string(kShopPolicy) + kAccountBinding;
  auto policy = compile(text);
  for (const bool dry_run : {true, false}) {
    DYNAMIC_SECTION((dry_run ? "dry run" : "purge")) {
      Shop shop(dry_run ? "notnull-dry" : "notnull", true);
      const Table accounts = shop.rows("Account");
      MemoryAuditSink sink;
      auto report = run(shop.db, *policy, dry_run, &sink);
      INFO(report.status().message());
      REQUIRE(report.ok());
      CHECK(report->refused());
      // Row 2 would lose Login (3y) but keep Spend (7y); row 3 would only
      // lose its Email, which could be cleared, but the table is one unit.
      CHECK(shop.rows("Account") == accounts);
      const auto& account = table_of(*report, "Account");
      CHECK(account.refused_columns == std::vector<std::string>{"Login"});
      CHECK(column_of(account, "Login").cells_refused == 1);
      CHECK(column_of(account, "Email").cells_refused == 0);
      CHECK(account.rows_deleted == 0);
      CHECK(account.cells_cleared == 0);
      CHECK(retention::describe_table(account) ==
            "Account: refused, left unchanged: Login is NOT NULL, 1 expired cell cannot be "
            "cleared");
      CHECK(retention::describe_total(*report) ==
            "total: 9 rows deleted, 14 cells cleared in 6 tables; 1 table refused");
      // The other tables are purged all the same.
      CHECK(table_of(*report, "Customer").rows_deleted == 2);
      if (dry_run) {
        CHECK(sink.records().empty());
      } else {
        CHECK(shop.rows("Lead").size() == 2);
        const auto records = sink.records();
        REQUIRE(records.size() == 7);
        const AccessRecord& refused = records.back();
        CHECK(refused.tables == std::vector<std::string>{"Account"});
        CHECK(refused.refused);
        CHECK(refused.refusal == retention::describe_table(account));
        CHECK(refused.rows == 0);
        CHECK(refused.subjects.empty());
        REQUIRE(refused.columns.size() == 1);
        CHECK(refused.columns[0].column == "Login");
      }
    }
  }
}

TEST_CASE("purge: without a `collected` line nothing is purged, and the report says so",
          "[purge]") {
  Shop shop("undated");
  std::string text = kShopPolicy;
  text.replace(text.find("  collected CreatedAt\n"), 22, "");
  auto policy = compile(text);
  const Table before = shop.rows("Customer");
  auto report = run(shop.db, *policy);
  REQUIRE(report.ok());
  CHECK(shop.rows("Customer") == before);
  const auto& customer = table_of(*report, "Customer");
  CHECK(customer.no_collected);
  CHECK(customer.rows_unknown_time == 11);
  CHECK(retention::describe_table(customer) ==
        "Customer: not purged: the binding has no `collected` line (11 rows of unknown "
        "collection time)");
  CHECK(table_of(*report, "Lead").rows_deleted == 1);
}

TEST_CASE("purge: a longer retention for one purpose keeps the rows longer", "[purge]") {
  std::string text = kShopPolicy;
  text.replace(text.find("retain behavior.purchases for 7y for legal.tax\n"), 47, "");
  auto policy = compile(text);
  Shop shop("no-tax");
  auto report = run(shop.db, *policy);
  REQUIRE(report.ok());
  // Purchases are now kept 1y: order 12 (3 years old) and its line have
  // expired entirely and go; order 11 (200 days) still keeps its Total, and
  // line 101 its Price.
  CHECK(shop.rows("Orders") == Table{{"10", "1", rfc3339_ago(30), "9.5", "gift"},
                                     {"11", "1", rfc3339_ago(200), "20.0", "NULL"},
                                     {"14", "4", "NULL", "50.0", "x"}});
  CHECK(shop.rows("OrderLine") == Table{{"100", "10", "a", "1.0"},
                                        {"101", "11", "NULL", "2.0"},
                                        {"105", "99", "f", "6.0"},
                                        {"106", "14", "g", "7.0"}});
}

TEST_CASE("purge: subject and collected columns are never cleared and never count", "[purge]") {
  Shop shop("keys");
  // Lead's subject column is classified as contact: it names the row's
  // subject, so it stays; the row goes when its other column expires.
  const char* text = R"(policy "keys" version 1
category contact.email, behavior.visits
purpose service basis contract
retain contact for 30d
retain behavior for 1y
table Lead {
  subject Contact
  collected At
  Contact : contact.email
  Visits : behavior.visits
  Id : public
}
)";
  auto report = run(shop.db, *compile(text));
  REQUIRE(report.ok());
  CHECK(shop.rows("Lead") == Table{{"1", "l1@x", "v1", rfc3339_ago(100)}});
  const auto& lead = table_of(*report, "Lead");
  REQUIRE(lead.columns.size() == 1);
  CHECK(lead.columns[0].name == "Visits");
}

TEST_CASE("purge: bindings that do not fit the database change nothing", "[purge]") {
  Shop shop("misfit");
  const std::string before = file_sha256(shop.db);
  std::string text = kShopPolicy;
  text.replace(text.find("  Page : behavior.visits\n"), 25, "  Page, Referrer : behavior.visits\n");
  auto report = run(shop.db, *compile(text));
  REQUIRE_FALSE(report.ok());
  CHECK(report.status().message().find("the database's table Visit has no column Referrer") !=
        std::string::npos);
  CHECK(file_sha256(shop.db) == before);

  auto missing = run(shop.dir + "/none.db", *compile(kShopPolicy));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message().find("cannot open") != std::string::npos);
  CHECK_FALSE(fs::exists(shop.dir + "/none.db"));  // never created

  std::string extra = std::string(kShopPolicy) + kAccountBinding;  // no Account table
  auto unbound = run(shop.db, *compile(extra));
  REQUIRE_FALSE(unbound.ok());
  CHECK(unbound.status().message().find("binds table Account, which the database does not have") !=
        std::string::npos);
  CHECK(file_sha256(shop.db) == before);
}

TEST_CASE("purge: a failing audit sink rolls the table back and stops", "[purge]") {
  struct Failing final : AuditSink {
    int calls = 0;
    Status append(const AccessRecord&) override {
      return ++calls == 2 ? Status(StatusCode::kIoError, "disk full") : Status();
    }
  } sink;
  Shop shop("audit-fails");
  auto report = run(shop.db, *compile(kShopPolicy), false, &sink);
  REQUIRE_FALSE(report.ok());
  CHECK(report.status().message().find("purge of Lead failed, rolled back: the audit sink failed: "
                                       "disk full (purged before it, and kept: Customer)") !=
        std::string::npos);
  CHECK(shop.rows("Customer").size() == 9);  // purged and committed
  CHECK(shop.rows("Lead").size() == 3);      // rolled back
  CHECK(shop.rows("Visit").size() == 4);     // never reached
}

TEST_CASE("purge: a WITHOUT ROWID table is addressed by its primary key", "[purge]") {
  const std::string dir =
      (fs::temp_directory_path() / ("custos-purge-norowid-" + std::to_string(::getpid()))).string();
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = dir + "/tags.db";
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &h) == SQLITE_OK);
  exec_or_fail(h,
               "CREATE TABLE Tag (Owner TEXT, Name TEXT, Label TEXT, Note TEXT, At TEXT, "
               "PRIMARY KEY (Owner, Name)) WITHOUT ROWID;"
               "INSERT INTO Tag VALUES ('u1', 'a', 'l1', 'n1', '" +
                   rfc3339_ago(10) + "'), ('u1', 'b', 'l2', 'n2', '" + rfc3339_ago(100) +
                   "'), ('u2', 'a', 'l3', 'n3', '" + rfc3339_ago(2000) + "');");
  sqlite3_close(h);
  auto report = run(path, *compile(R"(policy "tags" version 1
category behavior.visits, identity.name
purpose service basis contract
retain behavior for 90d
retain identity for 3y
table Tag {
  subject Owner
  collected At
  Label : behavior.visits
  Note : identity.name
  Name : public
}
)"));
  INFO(report.status().message());
  REQUIRE(report.ok());
  CHECK(
      dump(path, "SELECT * FROM Tag ORDER BY Owner, Name") ==
      Table{{"u1", "a", "l1", "n1", rfc3339_ago(10)}, {"u1", "b", "NULL", "n2", rfc3339_ago(100)}});
  fs::remove_all(dir);
}

TEST_CASE("purge: a copy of Chinook under the CRM policy", "[purge]") {
  const std::string dir =
      (fs::temp_directory_path() / ("custos-purge-chinook-" + std::to_string(::getpid()))).string();
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = dir + "/chinook.db";
  fs::copy_file(std::string(CUSTOS_SOURCE_DIR) + "/data/Chinook_Sqlite.sqlite", path);
  auto policy = Policy::load(std::string(CUSTOS_SOURCE_DIR) + "/policy-lang/examples/crm.custos");
  REQUIRE(policy.ok());
  // Invoices are kept 10 years (for legal.tax and legal.audit); purge as of
  // 2033-06-01: what is older than 3650 days then goes, with its lines.
  const Timestamp now = *detail::parse_rfc3339("2033-06-01T00:00:00Z");
  const std::string older = "(" + std::to_string(now) + " - strftime('%s', InvoiceDate)) > " +
                            std::to_string(3650 * kDay);
  const Table kept_invoices =
      dump(path, "SELECT * FROM Invoice WHERE NOT " + older + " ORDER BY InvoiceId");
  const Table kept_lines = dump(path,
                                "SELECT * FROM InvoiceLine WHERE InvoiceId IN (SELECT InvoiceId "
                                "FROM Invoice WHERE NOT " +
                                    older + ") ORDER BY InvoiceLineId");
  const Table customers = dump(path, "SELECT * FROM Customer ORDER BY CustomerId");
  REQUIRE(kept_invoices.size() > 100);
  REQUIRE(kept_invoices.size() < 412);
  PurgeOptions options;
  options.now = now;
  auto report = purge(path, **policy, options);
  INFO(report.status().message());
  REQUIRE(report.ok());
  CHECK(dump(path, "SELECT * FROM Invoice ORDER BY InvoiceId") == kept_invoices);
  CHECK(dump(path, "SELECT * FROM InvoiceLine ORDER BY InvoiceLineId") == kept_lines);
  CHECK(dump(path, "SELECT * FROM Customer ORDER BY CustomerId") == customers);
  CHECK(table_of(*report, "Invoice").rows_deleted == 412 - kept_invoices.size());
  CHECK(table_of(*report, "InvoiceLine").rows_deleted == 2240 - kept_lines.size());
  CHECK(table_of(*report, "Customer").nothing_expires);
  fs::remove_all(dir);
}

TEST_CASE("purge: a cycle of links and a table linked to itself keep what reaches each other",
          "[purge]") {
  const std::string dir =
      (fs::temp_directory_path() / ("custos-purge-cycle-" + std::to_string(::getpid()))).string();
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = dir + "/cycle.db";
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &h) == SQLITE_OK);
  exec_or_fail(
      h,
      "CREATE TABLE A (Id INTEGER PRIMARY KEY, BId INTEGER, Owner TEXT, Name TEXT);"
      "CREATE TABLE B (Id INTEGER PRIMARY KEY, AId INTEGER, At TEXT, Page TEXT);"
      "CREATE TABLE S (Id INTEGER PRIMARY KEY, ParentId INTEGER REFERENCES S(Id), Owner TEXT, "
      "At TEXT, "
      "Note TEXT);"
      "INSERT INTO A VALUES (1, 1, 'o1', 'n1'), (2, 2, 'o2', 'n2');"
      "INSERT INTO B VALUES (1, 1, '" +
          rfc3339_ago(1500) + "', '/p1'), (2, 99, '" + rfc3339_ago(1500) +
          "', '/p2');"
          "INSERT INTO S VALUES (1, NULL, 'o1', '" +
          rfc3339_ago(1500) + "', 'root'), (2, 1, 'o1', 'x', 'child');");
  sqlite3_close(h);
  // A is dated through B, B names its subject through A: a cycle, broken at
  // A (bound first), which then counts every row of B as remaining. S is
  // dated by its parent row (its foreign key says which column ParentId
  // references; without it, the same-named column would be taken, as the
  // guard does). S links only to itself, so it is free to go first.
  auto report = run(path, *compile(R"(policy "cycle" version 1
category identity.name, behavior.visits
purpose service basis contract
retain identity for 3y
retain behavior for 90d
table A {
  subject Owner
  collected B.At via BId
  Name : identity.name
  Id, BId : public
}
table B {
  subject A.Owner via AId
  collected At
  Page : behavior.visits
  Id, AId : public
}
table S {
  subject Owner
  collected S.At via ParentId
  At : behavior.visits
  Note : identity.name
  Id, ParentId : public
}
)"));
  INFO(report.status().message());
  REQUIRE(report.ok());
  std::vector<std::string> order;
  for (const auto& t : report->tables) order.push_back(t.name);
  CHECK(order == std::vector<std::string>{"S", "A", "B"});
  // A1 and B1 reach each other: both kept, their expired cells cleared. A2
  // is dated by B2 and reached by no row of B: deleted; then B2, reached by
  // no remaining row of A, goes too.
  CHECK(dump(path, "SELECT * FROM A ORDER BY Id") == Table{{"1", "1", "o1", "NULL"}});
  CHECK(dump(path, "SELECT * FROM B ORDER BY Id") == Table{{"1", "1", rfc3339_ago(1500), "NULL"}});
  // S1 has no parent (unknown time): kept as it is, and the column S2 reads
  // its time from is never cleared. S2, dated 1500 days ago by S1: deleted.
  CHECK(dump(path, "SELECT * FROM S ORDER BY Id") ==
        Table{{"1", "NULL", "o1", rfc3339_ago(1500), "root"}});
  CHECK(table_of(*report, "A").rows_kept_referenced == 1);
  CHECK(table_of(*report, "B").rows_kept_referenced == 1);
  CHECK(table_of(*report, "S").rows_unknown_time == 1);
  fs::remove_all(dir);
}
