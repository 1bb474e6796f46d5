#include "lang/checker.hpp"

#include "base/file.hpp"
#include "catch.hpp"
#include "custos/limits.hpp"
#include "lang_test_util.hpp"

using namespace custos::lang;
using custos::test::analyze_text;
using custos::test::codes_of;
using custos::test::kPrelude;

namespace {

std::vector<std::string> codes_after_prelude(const std::string& text) {
  return codes_of(kPrelude + text);
}

const CheckedPolicy& checked(const Analysis& a) {
  INFO((a.diagnostics.empty() ? std::string() : a.diagnostics.front().to_string()));
  REQUIRE(a.policy != nullptr);
  return *a.policy;
}

}  // namespace

TEST_CASE("checker: a clean policy has no diagnostics", "[checker]") {
  const auto a = analyze_text(std::string(kPrelude) +
                              "allow agent to read contact for support\n"
                              "allow agent to read health for marketing\n");
  CHECK(a.diagnostics.empty());
  CHECK(checked(a).name == "t");
}

TEST_CASE("checker: hierarchies, implied names, sensitive and bases", "[checker]") {
  const auto a = analyze_text(
      "policy \"t\" version 1\n"
      "category health.allergies sensitive\n"
      "category health.allergies.severe, contact\n"
      "category health\n"  // explicitly declaring an implied name is fine
      "purpose marketing basis consent\n"
      "purpose marketing.email\n"
      "purpose marketing.pricing basis legitimate_interest\n"
      "purpose legal.tax basis legal_obligation\n"
      "role agent\nrole supervisor : agent\n"
      "retain * for 1y\n"
      "allow agent to read * for marketing\n");
  const auto& s = checked(a).symbols;
  const auto& cats = s.categories;
  const auto id = [&](const char* n) { return s.category_ids.at(n); };
  CHECK(cats[id("health")].is_explicit);
  CHECK_FALSE(cats[id("health")].sensitive);
  CHECK(cats[id("health.allergies")].sensitive);
  CHECK(cats[id("health.allergies.severe")].sensitive);
  CHECK(cats[id("health.allergies.severe")].parent == id("health.allergies"));
  CHECK(cats[id("health.allergies.severe")].depth == 2);
  CHECK_FALSE(cats[id("contact")].sensitive);
  const auto pid = [&](const char* n) { return s.purpose_ids.at(n); };
  CHECK(s.purposes[pid("marketing.email")].basis == Basis::kConsent);
  CHECK(s.purposes[pid("marketing.pricing")].basis == Basis::kLegitimateInterest);
  CHECK_FALSE(s.purposes[pid("legal")].is_explicit);
  CHECK(s.purposes[pid("legal")].basis == Basis::kNone);  // implied, no basis: not an error
  CHECK(s.roles[s.role_ids.at("supervisor")].parents == std::vector<int>{s.role_ids.at("agent")});
}

TEST_CASE("checker: default and explicit rule ids", "[checker]") {
  const auto a = analyze_text(std::string(kPrelude) +
                              "allow agent to read contact for support\n"  // line 7
                              "@id(\"mine\")\n"
                              "deny agent to read health for support\n");
  const auto& p = checked(a);
  CHECK(p.symbols.rule_ids[6] == "t.custos:7");
  CHECK(p.symbols.rule_ids[7] == "mine");
  CHECK(codes_after_prelude("@id(\"t.custos:8\") allow agent to read contact for support\n"
                            "allow agent to read contact for support\n") ==
        std::vector<std::string>{"E025 8:1"});
  CHECK(codes_after_prelude("@id(\"\") allow agent to read contact for support\n") ==
        std::vector<std::string>{"E025 7:5"});
}

TEST_CASE("checker: every undeclared name is an error at its place", "[checker]") {
  CHECK(codes_after_prelude("allow agnt to read contact.fone for suport\n") ==
        std::vector<std::string>{"E022 7:7", "E020 7:20", "E021 7:37"});
  const auto a =
      analyze_text(std::string(kPrelude) + "allow agent to read contact.emial for support\n");
  REQUIRE(a.diagnostics.size() == 1);
  CHECK(a.diagnostics[0].hint == "did you mean `contact.email`?");
  CHECK(codes_after_prelude("role boss : chief\n") == std::vector<std::string>{"E022 7:13"});
  CHECK(codes_after_prelude("retain contakt for 1y for marketting\n") ==
        std::vector<std::string>{"E020 7:8", "E021 7:27"});
}

TEST_CASE("checker: the three namespaces are separate", "[checker]") {
  CHECK(codes_after_prelude("allow agent to read support for contact\n") ==
        std::vector<std::string>{"E020 7:21", "E021 7:33"});
}

TEST_CASE("checker: duplicates", "[checker]") {
  CHECK(codes_after_prelude("category contact.email\npurpose support basis contract\nrole agent\n"
                            "attribute actor.r : string\nattribute actor.r : int\n") ==
        std::vector<std::string>{"E024 7:10", "E024 8:9", "E024 9:6", "E024 11:11"});
}

TEST_CASE("checker: header rules", "[checker]") {
  CHECK(codes_of("category a\n") == std::vector<std::string>{"E013 1:1"});
  CHECK(codes_of("category a\npolicy \"t\" version 1\n") == std::vector<std::string>{"E013 2:1"});
  CHECK(codes_of("policy \"t\" version 1\npolicy \"u\" version 2\n") ==
        std::vector<std::string>{"E013 2:1"});
  CHECK(codes_of("policy \"t\" version 0\n") == std::vector<std::string>{"E015 1:20"});
  CHECK(codes_of("") == std::vector<std::string>{"E013 0:0"});
}

TEST_CASE("checker: bases", "[checker]") {
  CHECK(codes_of("policy \"t\" version 1\npurpose a.b\n") == std::vector<std::string>{"E027 2:9"});
  CHECK(codes_of("policy \"t\" version 1\npurpose a basis concent\n") ==
        std::vector<std::string>{"E028 2:17"});
  // A child may override the basis it would inherit.
  CHECK(codes_of("policy \"t\" version 1\npurpose a basis legitimate_interest\n"
                 "purpose a.b basis contract\n")
            .empty());
}

TEST_CASE("checker: role cycles", "[checker]") {
  CHECK(codes_of("policy \"t\" version 1\nrole a : a\n") == std::vector<std::string>{"E026 2:6"});
  const auto a = analyze_text("policy \"t\" version 1\nrole a : b\nrole b : c\nrole c : a\n");
  REQUIRE(a.diagnostics.size() == 1);
  CHECK(a.diagnostics[0].id == "E026");
  CHECK(a.diagnostics[0].message == "role inheritance has a cycle: a : b : c : a");
  // A diamond is not a cycle.
  CHECK(
      codes_of("policy \"t\" version 1\nrole a\nrole b : a\nrole c : a\nrole d : b, c\n").empty());
}

TEST_CASE("checker: transforms", "[checker]") {
  CHECK(codes_after_prelude("deny agent to read contact as hash for support\n") ==
        std::vector<std::string>{"E030 7:31"});
  CHECK(codes_after_prelude("allow agent to read contact as hsah for support\n") ==
        std::vector<std::string>{"E031 7:32"});
  CHECK(codes_after_prelude("allow agent to read contact as round(0) for support\n") ==
        std::vector<std::string>{"E032 7:38"});
}

TEST_CASE("checker: condition types", "[checker]") {
  const std::string decls =
      "attribute actor.region : string\nattribute actor.regions : [string]\n"
      "attribute subject.age : int\nattribute subject.vip : bool\n"
      "attribute context.opened : time\n";  // lines 7-11
  const auto rule = [&](const std::string& cond) {
    return codes_after_prelude(decls + "allow agent to read contact for support when " + cond +
                               "\n");
  };
  const std::string at = " 12:";
  // Well-typed conditions.
  CHECK(rule("subject.age >= 18 and actor.region == \"eu\"").empty());
  CHECK(rule("\"eu\" in actor.regions or subject.vip").empty());
  CHECK(rule("context.opened + 30d > now and now - 1h <= context.time").empty());
  CHECK(rule("subject.age in [18, 21] and not subject.vip").empty());
  CHECK(rule("actor.id == subject.id").empty());
  CHECK(rule("30d < 2w").empty());
  CHECK(rule("context.opened > time(\"2026-01-01T00:00:00Z\")").empty());
  // Type errors, each at the offending term.
  CHECK(rule("subject.age >= \"18\"") == std::vector<std::string>{"E040" + at + "61"});
  CHECK(rule("actor.region < \"x\"") == std::vector<std::string>{"E040" + at + "46"});
  CHECK(rule("subject.age == actor.region") == std::vector<std::string>{"E040" + at + "46"});
  CHECK(rule("\"eu\" in actor.region") == std::vector<std::string>{"E040" + at + "54"});
  CHECK(rule("context.opened + 3") ==
        std::vector<std::string>{"E040" + at + "63"});  // one error, no cascade
  CHECK(rule("subject.age + 1d > now") == std::vector<std::string>{"E040" + at + "46"});
  CHECK(rule("[1, \"a\"] == [1]") == std::vector<std::string>{"E040" + at + "50"});
  CHECK(rule("subject.vip and 3") == std::vector<std::string>{"E040" + at + "62"});
  CHECK(rule("subject.age") == std::vector<std::string>{"E041" + at + "46"});
  CHECK(rule("context.opened > \"2026-01-01T00:00:00Z\"") ==
        std::vector<std::string>{"E040" + at + "63"});
  CHECK(rule("actor.regoin == \"eu\"") == std::vector<std::string>{"E023" + at + "46"});
  CHECK(rule("customer.age > 3") == std::vector<std::string>{"E033" + at + "46"});
  CHECK(rule("actor.a.b == 1") == std::vector<std::string>{"E033" + at + "46"});
  CHECK(rule("time(\"2026-02-30T00:00:00Z\") > now") ==
        std::vector<std::string>{"E042" + at + "51"});
}

TEST_CASE("checker: a root with no declarations is typed when the request arrives", "[checker]") {
  // No subject attributes are declared, so subject.anything is accepted.
  CHECK(codes_after_prelude("allow agent to read contact for support when subject.tier == 3 and "
                            "subject.other in [\"a\"]\n")
            .empty());
  CHECK(codes_after_prelude("attribute actor.id : string\n") ==
        std::vector<std::string>{"E033 7:11"});
}

TEST_CASE("checker: table bindings", "[checker]") {
  // (`retain * for 1y` applies to every column: without `collected`, W006.)
  CHECK(codes_after_prelude("table C { Email : contact.email }\n") ==
        std::vector<std::string>{"W006 7:7", "E050 7:7"});
  CHECK(codes_after_prelude("table C { subject Id\n Email : contact.emial }\n") ==
        std::vector<std::string>{"E020 8:10"});
  CHECK(codes_after_prelude(
            "table C { subject Id\n collected At\n Email, Email : contact.email }\n") ==
        std::vector<std::string>{"E024 9:9"});
  CHECK(codes_after_prelude("table C { subject Id\n subject Id2 }\n") ==
        std::vector<std::string>{"E024 8:2"});
  CHECK(codes_after_prelude("table L { subject Inv.Cid via InvId }\n") ==
        std::vector<std::string>{"E051 7:19"});
  CHECK(
      codes_after_prelude("table Inv { subject Cid }\ntable L { subject Inv.Nope via InvId }\n") ==
      std::vector<std::string>{"E051 8:23"});
  CHECK(codes_after_prelude("table Inv { subject Cid }\ntable L { subject Inv.Cid }\n") ==
        std::vector<std::string>{"E051 8:19"});
  CHECK(codes_after_prelude("table Inv { subject Cid }\ntable L { subject Inv.Cid via X }\n")
            .empty());
  CHECK(codes_after_prelude("table C { subject Id\n subject.id = X }\n") ==
        std::vector<std::string>{"E033 8:2"});
  CHECK(codes_after_prelude("table C public\ntable c public\n") ==
        std::vector<std::string>{"E024 8:7"});
}

TEST_CASE("checker: bindings against a real schema", "[checker]") {
  Schema schema;
  schema.tables.push_back({"Customer", {"CustomerId", "Email", "Phone", "At"}});
  schema.tables.push_back({"Genre", {"GenreId", "Name"}});
  schema.views.push_back({"CustomerView", {"Customer", "Genre"}});
  const auto run = [&](const std::string& tables) {
    return custos::test::diagnostic_codes(
        analyze("t.custos", std::string(kPrelude) + tables, &schema));
  };
  CHECK(run("table customer { subject CUSTOMERID\n collected at\n Email, Phone : contact.email }\n"
            "table Genre public\n")
            .empty());
  CHECK(run("table Customer { subject CustomerId\n collected At\n Email : contact.email }\n"
            "table Genre public\n") == std::vector<std::string>{"W004 7:7"});
  // W005: the tables a policy leaves unbound, in one warning about the file.
  CHECK(run("table Customers public\n") == std::vector<std::string>{"W005 0:0", "E053 7:7"});
  CHECK(
      run("table Customer { subject CustomerId\n collected At\n Email, Fone : contact.email }\n") ==
      std::vector<std::string>{"W005 0:0", "W004 7:7", "E054 9:9"});
  // E055: a view, named with its base tables.
  const auto view =
      analyze("t.custos", std::string(kPrelude) + "table customerview public\n", &schema);
  REQUIRE(view.diagnostics.size() == 2);
  CHECK(view.diagnostics[1].id == "E055");
  CHECK(view.diagnostics[1].message ==
        "`customerview` is a view of the database, and views cannot be bound");
  CHECK(view.diagnostics[1].hint == "bind the tables it reads instead: `Customer`, `Genre`");
}

TEST_CASE("checker: W006 a bound table without a collection time under retention", "[checker]") {
  const std::string base =
      "policy \"t\" version 1\ncategory contact.email, contact.phone, misc\n"
      "purpose support basis contract\npurpose marketing basis consent\n"
      "purpose legal.tax basis legal_obligation\n";
  const auto warnings = [&](const std::string& rest) {
    const auto a = analyze("t.custos", base + rest);
    std::vector<std::string> out;
    for (const auto& d : a.diagnostics) {
      if (d.id == "W006") out.push_back(d.message + " | " + d.hint);
    }
    return out;
  };
  // Retention for some purposes only: the warning names them.
  CHECK(warnings("retain contact for 1y for marketing, legal.tax\nretain misc for 1y\n"
                 "table C { subject Id\n Email : contact.email\n Note : misc }\n") ==
        std::vector<std::string>{
            "table `C` has no `collected` line, so reads that retention limits are always denied "
            "`collected_unknown`: `Email` for marketing, legal.tax; `Note` for every purpose | "
            "add `collected COLUMN` (when each row's data was collected), or `collected "
            "Table.Column via COLUMN`; retain rules at lines 6, 7 apply"});
  // A retain rule on a descendant of the column's category applies too.
  CHECK(warnings("retain contact.phone for 1y for marketing\nretain misc for 1y for legal.tax\n"
                 "table C { subject Id\n Phone : contact }\n")
            .size() == 1);
  // No warning: a collection time (also `via`), no retention for its
  // categories, or only public columns.
  CHECK(warnings("retain * for 1y\ntable C { subject Id\n collected At\n Email : contact }\n")
            .empty());
  CHECK(warnings("retain misc for 1y\ntable C { subject Id\n Email : contact }\n").empty());
  CHECK(warnings("retain * for 1y\ntable C { subject Id\n Email : public }\n").empty());
}

TEST_CASE("checker: E051 `via` to a public column", "[checker]") {
  const std::string base = std::string(kPrelude) +
                           "table Inv { subject Cid\n collected At\n No, City : public }\n";  // 7-9
  CHECK(codes_after_prelude("table Inv { subject Cid\n collected At\n No, City : public }\n"
                            "table L { subject Inv.Cid via No\n collected Inv.At via No }\n")
            .empty());
  const auto a = analyze("t.custos", base +
                                         "table L { subject Inv.Cid via No\n"
                                         " collected Inv.City via No }\n");
  REQUIRE(a.diagnostics.size() == 1);
  CHECK(custos::test::diagnostic_codes(a) == std::vector<std::string>{"E051 11:16"});
  CHECK(a.diagnostics[0].message ==
        "`via` cannot take the collection time from `Inv.City`, a public column");
}

TEST_CASE("checker: warnings", "[checker]") {
  SECTION("W001 a category with no retention rule") {
    CHECK(codes_of("policy \"t\" version 1\ncategory a.b, a.c, d\nretain a.b for 1y\n"
                   "retain d for 2y for p\npurpose p basis contract\n") ==
          std::vector<std::string>{"W001 2:15"});
  }
  SECTION("W002 an allow rule that a deny always overrides") {
    const std::string base =
        "policy \"t\" version 1\ncategory c.x, c.y\npurpose p.q basis contract\n"
        "role a\nrole b : a\nretain * for 1y\n";  // rules from line 7
    CHECK(codes_of(base + "allow b to read c.x for p.q\ndeny a to use c for p\n") ==
          std::vector<std::string>{"W002 7:1"});
    CHECK(codes_of(base + "allow b to read c.x for p.q\ndeny * to read * for *\n") ==
          std::vector<std::string>{"W002 7:1"});
    // Not overridden: conditional deny, narrower deny, other action, other role.
    CHECK(codes_of(base + "allow b to read c for p\ndeny a to use c.x for p\n").empty());
    CHECK(codes_of(base + "allow b to read c for p\ndeny a to use c for p when 1 == 1\n").empty());
    // (A `use` rule may share: W010 says no purpose is marked `gpc`.)
    CHECK(codes_of(base + "allow b to use c for p\ndeny a to read c for p\n") ==
          std::vector<std::string>{"W010 7:12"});
    CHECK(codes_of(base + "allow a to read c for p\ndeny b to read c for p\n").empty());
    CHECK(codes_of(base + "allow * to read c for p\ndeny a to read c for p\n").empty());
  }
  SECTION("W003 a consent purpose that no rule grants") {
    const std::string base =
        "policy \"t\" version 1\ncategory c\nrole a\nretain * for 1y\n"
        "purpose m basis consent\npurpose m.e, m.p\n";
    CHECK(codes_of(base + "allow a to read c for m.e\n") == std::vector<std::string>{"W003 6:14"});
    CHECK(codes_of(base + "allow a to read c for m\n").empty());
    CHECK(codes_of(base + "allow a to read c for *\n").empty());
    CHECK(codes_of(base + "deny a to read c for m\n") ==
          std::vector<std::string>{"W003 5:9", "W003 6:9", "W003 6:14"});
  }
}

TEST_CASE("checker: the example policies are clean", "[checker][examples]") {
  for (const char* name : {"crm.custos", "loyalty.custos"}) {
    INFO(name);
    const std::string path = std::string(CUSTOS_SOURCE_DIR) + "/policy-lang/examples/" + name;
    const auto text = custos::detail::read_file(path, custos::limits::kMaxPolicyBytes);
    REQUIRE(text.ok());
    const auto a = analyze(name, *text);
    // The loop body's scope ends before the CHECK: the message must outlive it.
    for (const auto& d : a.diagnostics) UNSCOPED_INFO(d.to_string());
    // The CRM policy keeps Customer and Employee rows undated on purpose
    // (its retention comment): W006 says what that costs, and nothing else.
    CHECK(custos::test::diagnostic_codes(a) ==
          (std::string(name) == "crm.custos" ? std::vector<std::string>{"W006 99:7", "W006 110:7"}
                                             : std::vector<std::string>{}));
    CHECK(a.policy != nullptr);
  }
}
