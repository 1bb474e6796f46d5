// Guarded reads: what each session sees of the same tables, row by row and
// cell by cell, and what it is refused (ARCHITECTURE.md, "Guarded SQLite
// reads"). The attempts to see more are in bypass_test.cpp.
#include <map>

#include "engine/transform.hpp"
#include "guard_fixture.hpp"

using namespace custos;
using namespace custos::test;

TEST_CASE("guard: a support agent sees every customer, within retention and consent", "[guard]") {
  GuardWorld w("agent");
  auto s = w.session("agent", "service.support");
  // Customer 6 was collected four years ago: kept three, so NULL; the
  // sensitive notes need consent for the purpose: only customer 1 gave it.
  CHECK(rows_of(*s,
                "SELECT CustomerId, FirstName, Email, City, Notes FROM Customer "
                "ORDER BY CustomerId") ==
        Table{{"1", "Ada", "ada@example.com", "London", "asthma"},
              {"2", "Bruno", "bruno@example.es", "Madrid", "NULL"},
              {"3", "Chloé", "chloe@example.fr", "Paris", "NULL"},
              {"4", "Dev", "dev@example.in", "Leeds", "NULL"},
              {"5", "Eva", "eva@example.se", "Malmö", "NULL"},
              {"6", "NULL", "NULL", "NULL", "NULL"}});
  CHECK(w.file_unchanged());
}

TEST_CASE("guard: a marketer sees only consenting customers, conditional cells per row",
          "[guard]") {
  GuardWorld w("marketer");
  auto s = w.session("marketer", "marketing.email");
  // 4 withdrew, 5 and 6 never consented. Addresses only where the subject's
  // country is the marketer's (UK).
  CHECK(rows_of(*s, "SELECT FirstName, Email, City FROM Customer ORDER BY CustomerId") ==
        Table{{"Ada", "ada@example.com", "London"},
              {"Bruno", "bruno@example.es", "NULL"},
              {"Chloé", "chloe@example.fr", "NULL"}});
  CHECK(rows_of(*s, "SELECT count(*) FROM Customer") == Table{{"3"}});
  // The WHERE clause sees the session's values: Bruno's country is NULL here.
  CHECK(rows_of(*s, "SELECT count(*) FROM Customer WHERE Country = 'ES'") == Table{{"0"}});
  CHECK(rows_of(*s, "SELECT FirstName FROM Customer WHERE Country = ?", {Value::of_text("UK")}) ==
        Table{{"Ada"}});
}

TEST_CASE("guard: an analyst gets hashed names, truncated addresses, masked adults' e-mail",
          "[guard]") {
  GuardWorld w("analyst");
  auto s = w.session("analyst", "analytics");
  const std::string key(32, 'k');
  // 5 objected to analytics; 6 is past retention; 2 is 17, so no e-mail.
  CHECK(rows_of(*s, "SELECT CustomerId, FirstName, City, Email FROM Customer ORDER BY 1") ==
        Table{{"1", detail::pseudonym(key, "Ada"), "Lon", "a***@example.com"},
              {"2", detail::pseudonym(key, "Bruno"), "Mad", "NULL"},
              {"3", detail::pseudonym(key, "Chloé"), "Par", "c***@example.fr"},
              {"4", detail::pseudonym(key, "Dev"), "Lee", "d***@example.in"},
              {"6", "NULL", "NULL", "NULL"}});
  // Invoice lines reach their subject and date through the invoice.
  CHECK(rows_of(*s, "SELECT InvoiceLineId, UnitPrice, Quantity FROM InvoiceLine ORDER BY 1") ==
        Table{{"100", "2.5", "5"},
              {"101", "NULL", "NULL"},
              {"102", "10.0", "4"},
              {"103", "7.25", "1"}});
  // An aggregate over what the session may see.
  CHECK(rows_of(*s, "SELECT sum(Total) FROM Invoice") == Table{{"59.75"}});
}

TEST_CASE("guard: strict mode refuses a column no rule grants, naming it and why", "[guard]") {
  GuardWorld w("strict");
  auto s = w.session("marketer", "marketing");
  std::string error;
  CHECK(rows_of(*s, "SELECT Notes FROM Customer", {}, &error).empty());
  CHECK(error ==
        "refused for this session: Customer.Notes: no_matching_allow (category health.notes)");
  CHECK(rows_of(*s, "SELECT Password FROM Customer", {}, &error).empty());
  CHECK(error == "refused for this session: Customer.Password: unclassified_column");
  // SELECT * leaves refused columns out.
  auto rows = s->query("SELECT * FROM Customer");
  REQUIRE(rows.ok());
  std::vector<std::string> names;
  for (int i = 0; i < rows->column_count(); ++i) names.push_back(rows->column_name(i));
  CHECK(names == std::vector<std::string>{"CustomerId", "FirstName", "LastName", "Email", "City",
                                          "Country", "SupportRepId", "Age", "CreatedAt"});
}

TEST_CASE("guard: lenient mode reads a refused column as NULL", "[guard]") {
  GuardWorld w("lenient", /*lenient=*/true);
  auto s = w.session("marketer", "marketing");
  CHECK(rows_of(*s, "SELECT FirstName, Notes, Password FROM Customer ORDER BY CustomerId") ==
        Table{{"Ada", "NULL", "NULL"}, {"Bruno", "NULL", "NULL"}, {"Chloé", "NULL", "NULL"}});
}

TEST_CASE("guard: sharing is decided as share: the deny on health applies", "[guard]") {
  GuardWorld w("share");
  auto s = w.session("agent", "service.support", "share");
  std::string error;
  CHECK(rows_of(*s, "SELECT Notes FROM Customer", {}, &error).empty());
  CHECK(error ==
        "refused for this session: Customer.Notes: denied_by_rule (category health.notes)");
}

TEST_CASE("guard: every statement and refusal reaches the audit sink", "[guard][audit]") {
  GuardWorld w("audit");
  auto s = w.session("marketer", "marketing");
  CHECK(rows_of(*s, "SELECT FirstName, City FROM Customer WHERE CustomerId < 3").size() == 2);
  std::string error;
  rows_of(*s, "SELECT Notes FROM Customer", {}, &error);
  rows_of(*s, "SELECT count(*) FROM Customer", {}, &error);
  const auto records = w.sink.records();
  REQUIRE(records.size() == 3);
  const AccessRecord& r = records[0];
  CHECK(r.actor == "marketer-1");
  CHECK(r.roles == std::vector<std::string>{"marketer"});
  CHECK(r.purpose == "marketing");
  CHECK(r.action == "read");
  CHECK(r.sql == "SELECT FirstName, City FROM Customer WHERE CustomerId < 3");
  CHECK(r.fingerprint.size() == 16);
  CHECK(r.rows == 2);
  CHECK(r.subjects == std::vector<std::string>{"1", "2"});
  CHECK(r.tables == std::vector<std::string>{"Customer"});
  CHECK(r.time == kNow);
  CHECK(std::string(r.policy.name()) == "guard-test");
  CHECK(r.policy.version == 3);
  REQUIRE(r.columns.size() == 3);  // FirstName, City, CustomerId (in WHERE)
  CHECK(r.columns[0].column == "FirstName");
  CHECK(r.columns[0].category == "identity.name");
  CHECK(r.columns[0].allowed);
  CHECK(r.columns[0].transform.to_string() == "plain");
  CHECK(r.columns[0].rule == "guard.custos:21");
  CHECK(r.columns[1].column == "City");
  CHECK(r.columns[1].allowed);                                                    // Ada's
  CHECK(r.columns[1].withheld == std::vector<Reason>{Reason::kNoMatchingAllow});  // Bruno's
  CHECK(r.columns[2].column == "CustomerId");
  CHECK(r.columns[2].category.empty());
  CHECK(records[1].refused);
  CHECK(records[1].refusal ==
        "refused for this session: Customer.Notes: no_matching_allow (category health.notes)");
  // An aggregate reads every row that feeds it.
  CHECK(records[2].rows == 1);
  CHECK(records[2].subjects == std::vector<std::string>{"1", "2", "3"});
}

TEST_CASE("guard: subjects read out of order are logged sorted, each once", "[guard][audit]") {
  GuardWorld w("audit-order");
  auto s = w.session("marketer", "marketing");
  // The inner side seeks 3, 2, 1 while the outer scans 1, 2, 3: rows of
  // subjects 1, 3, 2, 2, 3, 1.
  CHECK(rows_of(*s,
                "SELECT a.CustomerId, b.CustomerId FROM Customer a JOIN Customer b ON "
                "b.CustomerId = 4 - a.CustomerId")
            .size() == 3);
  const auto records = w.sink.records();
  REQUIRE(records.size() == 1);
  CHECK(records[0].subjects == std::vector<std::string>{"1", "2", "3"});
}

TEST_CASE("guard: a subject id of any stored type finds its own consent, and only its own",
          "[guard]") {
  // An INTEGER subject is looked up in the consent cache by its value; text
  // by its bytes. Granted: 7, -5, 10^18 + 1 (too long for the cache's
  // decimal form), "042" and "c-9"; not 42, whose look-alike "042" is
  // another subject, nor 8.
  GuardWorld w("subject-types");
  const Timestamp jan = 1767225600;
  for (const char* subject : {"7", "-5", "1000000000000000001", "042", "c-9"}) {
    REQUIRE(w.consent->grant(subject, "marketing", jan).ok());
  }
  const std::string path = w.dir + "/ids.db";
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &raw) == SQLITE_OK);
  // No declared type: each id keeps the type it was stored with.
  exec_or_fail(raw, R"sql(
CREATE TABLE Customer (CustomerId, FirstName TEXT, LastName TEXT, Email TEXT, City TEXT,
  Country TEXT, Notes TEXT, SupportRepId INTEGER, Age INTEGER, CreatedAt TEXT);
INSERT INTO Customer (CustomerId, FirstName, CreatedAt) VALUES
  (7, 'integer', '2026-01-01'), (-5, 'negative', '2026-01-01'),
  (1000000000000000001, 'huge', '2026-01-01'), ('042', 'text 042', '2026-01-01'),
  (42, 'integer 42', '2026-01-01'), ('c-9', 'text c-9', '2026-01-01'),
  (8, 'integer 8', '2026-01-01');
CREATE TABLE Invoice (InvoiceId INTEGER PRIMARY KEY, CustomerId INTEGER, InvoiceDate TEXT,
  Total REAL);
CREATE TABLE InvoiceLine (InvoiceLineId INTEGER PRIMARY KEY, InvoiceId INTEGER, UnitPrice REAL,
  Quantity INTEGER);
CREATE TABLE Genre (GenreId INTEGER PRIMARY KEY, Name TEXT);
)sql");
  sqlite3_close(raw);
  auto db = Database::open(path, *w.engine);
  INFO(db.status().message());
  REQUIRE(db.ok());
  SessionOptions who;
  who.actor_id = "marketer-1";
  who.roles = {"marketer"};
  who.purpose = "marketing";
  auto s = (*db)->session(who);
  REQUIRE(s.ok());
  CHECK(rows_of(**s, "SELECT FirstName, typeof(CustomerId) FROM Customer ORDER BY rowid") ==
        Table{{"integer", "integer"},
              {"negative", "integer"},
              {"huge", "integer"},
              {"text 042", "text"},
              {"text c-9", "text"}});
  // A withdrawal reaches the integer form at the next statement.
  REQUIRE(w.consent->withdraw("7", "marketing", kNow - 60).ok());
  CHECK(rows_of(**s, "SELECT FirstName FROM Customer WHERE typeof(CustomerId) = 'integer'") ==
        Table{{"negative"}, {"huge"}});
}

TEST_CASE("guard: a reload and a consent change apply from the next statement", "[guard]") {
  GuardWorld w("reload");
  auto s = w.session("marketer", "marketing");
  CHECK(rows_of(*s, "SELECT count(*) FROM Customer") == Table{{"3"}});
  REQUIRE(w.consent->withdraw("2", "marketing", kNow - 60).ok());
  CHECK(rows_of(*s, "SELECT CustomerId FROM Customer ORDER BY 1") == Table{{"1"}, {"3"}});
  auto tighter = Policy::compile(
      std::string(kGuardPolicy) + "deny marketer to read identity.name for marketing\n",
      "guard.custos");
  REQUIRE(tighter.ok());
  w.engine->reload(*tighter);
  std::string error;
  CHECK(rows_of(*s, "SELECT FirstName FROM Customer", {}, &error).empty());
  CHECK(error ==
        "refused for this session: Customer.FirstName: denied_by_rule (category "
        "identity.name)");
  CHECK(rows_of(*s, "SELECT Email FROM Customer ORDER BY 1") ==
        Table{{"ada@example.com"}, {"chloe@example.fr"}});
  CHECK(w.file_unchanged());
}

TEST_CASE("guard: typed accessors and column names", "[guard]") {
  GuardWorld w("types");
  auto s = w.session("analyst", "analytics");
  auto rows = s->query(
      "SELECT InvoiceId, Total, 'x' AS Label, NULL AS Empty FROM Invoice "
      "WHERE InvoiceId = ?",
      {Value::of_int(10)});
  INFO(rows.status().message());
  REQUIRE(rows.ok());
  REQUIRE(rows->next());
  CHECK(rows->column_count() == 4);
  CHECK(rows->column_name(2) == "Label");
  CHECK(rows->type(0) == Rows::Type::kInt);
  CHECK(rows->int64(0) == 10);
  CHECK(rows->type(1) == Rows::Type::kReal);
  CHECK(rows->real(1) == 12.5);
  CHECK(rows->text(2) == "x");
  CHECK(rows->is_null(3));
  CHECK(rows->value(1) == Value::of_real(12.5));
  CHECK(rows->is_null(99));  // out of range reads as NULL
  CHECK_FALSE(rows->next());
  CHECK(rows->status().ok());
  CHECK(rows->row_count() == 1);
}

TEST_CASE("guard: a row's consent is the engine's deciding record (LANGUAGE.md s6), case by case",
          "[guard]") {
  // One customer per rule of the deciding record. Whether the guard returns
  // a customer must equal Engine::check's decision on the same subject, for
  // the purpose and for its child; and the expected sets are spelled out, so
  // a rule both got wrong still fails.
  GuardWorld w("deciding-record");
  const Timestamp jan = 1767225600;  // 2026-01-01, before kNow
  ConsentStore& c = *w.consent;
  REQUIRE(c.grant("20", "marketing", jan).ok());                        // granted
  REQUIRE(c.grant("21", "marketing", jan, jan + 86400).ok());           // grant expired
  REQUIRE(c.grant("22", "marketing", jan).ok());                        // granted, then
  REQUIRE(c.withdraw("22", "marketing", jan + 86400).ok());             //   withdrawn
  REQUIRE(c.grant("23", "marketing", kNow + 86400).ok());               // not yet in force
  REQUIRE(c.grant("24", "marketing.email", jan).ok());                  // the child only
  REQUIRE(c.grant("25", "marketing", jan).ok());                        // same time:
  REQUIRE(c.withdraw("25", "marketing", jan).ok());                     //   stricter wins
  REQUIRE(c.grant("26", "marketing", jan).ok());                        // same time:
  REQUIRE(c.withdraw("26", "marketing.email", jan).ok());               //   deeper wins
  REQUIRE(c.grant("27", "newsletter", jan).ok());                       // not a purpose here
  REQUIRE(c.withdraw("28", "marketing", jan).ok());                     // withdrawn, then
  REQUIRE(c.grant("28", "marketing", jan + 86400, kNow + 86400).ok());  //   granted again

  const std::string path = w.dir + "/deciding.db";
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &raw) == SQLITE_OK);
  std::string insert = "INSERT INTO Customer (CustomerId, Email, CreatedAt) VALUES ";
  for (int id = 20; id <= 29; ++id) {
    insert += (id > 20 ? ", (" : "(") + std::to_string(id) + ", 'e" + std::to_string(id) +
              "', '2026-01-01')";
  }
  exec_or_fail(raw, R"sql(
CREATE TABLE Customer (CustomerId INTEGER PRIMARY KEY, FirstName TEXT, LastName TEXT,
  Email TEXT, City TEXT, Country TEXT, Notes TEXT, SupportRepId INTEGER, Age INTEGER,
  CreatedAt TEXT);
CREATE TABLE Invoice (InvoiceId INTEGER PRIMARY KEY, CustomerId INTEGER, InvoiceDate TEXT,
  Total REAL);
CREATE TABLE InvoiceLine (InvoiceLineId INTEGER PRIMARY KEY, InvoiceId INTEGER, UnitPrice REAL,
  Quantity INTEGER);
CREATE TABLE Genre (GenreId INTEGER PRIMARY KEY, Name TEXT);
)sql" + insert);
  sqlite3_close(raw);
  auto db = Database::open(path, *w.engine);
  INFO(db.status().message());
  REQUIRE(db.ok());

  const std::map<std::string, std::vector<std::string>> expected = {
      {"marketing", {"20", "26", "28"}},
      {"marketing.email", {"20", "24", "28"}},
  };
  for (const auto& [purpose, ids] : expected) {
    SessionOptions who;
    who.actor_id = "marketer-1";
    who.roles = {"marketer"};
    who.purpose = purpose;
    auto s = (*db)->session(who);
    REQUIRE(s.ok());
    std::vector<std::string> engine_ids;
    for (int id = 20; id <= 29; ++id) {
      Request r;
      r.actor.id = "marketer-1";
      r.actor.roles = {"marketer"};
      r.action = "read";
      r.purpose = purpose;
      r.subject = Request::Subject{std::to_string(id), {}, std::nullopt};
      r.categories = {"contact.email"};
      r.collected_at = jan;  // as the rows were (retention applies)
      if (w.engine->check(r).allowed) engine_ids.push_back(std::to_string(id));
    }
    INFO(purpose);
    CHECK(engine_ids == ids);
    Table guarded;
    for (const auto& id : ids) guarded.push_back({id, "e" + id});
    CHECK(rows_of(**s, "SELECT CustomerId, Email FROM Customer ORDER BY 1") == guarded);
  }
}
