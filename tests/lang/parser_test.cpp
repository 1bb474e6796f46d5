#include "lang/parser.hpp"

#include "catch.hpp"
#include "lang_test_util.hpp"

using namespace custos::lang;
using custos::test::codes_of;

namespace {

struct Parsed {
  std::unique_ptr<SourceFile> file;
  ParsedPolicy policy;
  std::vector<custos::Diagnostic> diagnostics;
};

Parsed parse_text(const std::string& text) {
  Parsed p;
  p.file = std::make_unique<SourceFile>("t.custos", text);
  DiagnosticSink sink(*p.file);
  p.policy = parse(*p.file, sink);
  p.diagnostics = sink.take();
  return p;
}

const Rule& only_rule(const Parsed& p) {
  REQUIRE(p.diagnostics.empty());
  REQUIRE(p.policy.ast.statements.size() == 1);
  const auto* r = std::get_if<Rule>(&p.policy.ast.statements[0].node);
  REQUIRE(r != nullptr);
  return *r;
}

// A compact rendering of an expression tree to compare shapes.
std::string shape(const Expr& e) {
  const auto kids = [&](const char* op) {
    std::string out = std::string(op) + "(";
    for (std::size_t i = 0; i < e.children.size(); ++i) {
      out += (i ? "," : "") + shape(*e.children[i]);
    }
    return out + ")";
  };
  switch (e.kind) {
    case ExprKind::kAttribute:
      return e.text;
    case ExprKind::kNow:
      return "now";
    case ExprKind::kTime:
      return "time:" + std::to_string(e.number);
    case ExprKind::kString:
      return "'" + e.text + "'";
    case ExprKind::kInteger:
      return std::to_string(e.number);
    case ExprKind::kBool:
      return e.number ? "true" : "false";
    case ExprKind::kDuration:
      return std::to_string(e.duration.seconds()) + "s";
    case ExprKind::kList:
      return kids("list");
    case ExprKind::kCompare:
      switch (e.op) {  // the operator is part of the shape: `>=` read as `==` must fail
        case CompareOp::kEq:
          return kids("eq");
        case CompareOp::kNe:
          return kids("ne");
        case CompareOp::kLt:
          return kids("lt");
        case CompareOp::kLe:
          return kids("le");
        case CompareOp::kGt:
          return kids("gt");
        case CompareOp::kGe:
          return kids("ge");
      }
      return kids("cmp?");
    case ExprKind::kIn:
      return kids("in");
    case ExprKind::kAdd:
      return kids("add");
    case ExprKind::kSubtract:
      return kids("sub");
    case ExprKind::kNot:
      return kids("not");
    case ExprKind::kAnd:
      return kids("and");
    case ExprKind::kOr:
      return kids("or");
  }
  return "?";
}

std::string when_shape(const std::string& condition) {
  const auto p = parse_text("allow a to read c for p when " + condition);
  const Rule& r = only_rule(p);
  REQUIRE(r.when);
  return shape(*r.when);
}

}  // namespace

TEST_CASE("parser: a rule's parts", "[parser]") {
  const auto p = parse_text(
      "@id(\"r1\") allow analyst, marketer to share identity.name as hash, contact.address as "
      "truncate(3), behavior for analytics.aggregate, marketing");
  const Rule& r = only_rule(p);
  CHECK(r.explicit_id == "r1");
  CHECK(r.effect == Effect::kAllow);
  REQUIRE(r.roles.names.size() == 2);
  CHECK(r.roles.names[1].text == "marketer");
  CHECK(r.action == Action::kShare);
  REQUIRE(r.categories.size() == 3);
  CHECK(r.categories[0].transform->value.kind == custos::Transform::Kind::kHash);
  CHECK(r.categories[1].transform->value.kind == custos::Transform::Kind::kTruncate);
  CHECK(r.categories[1].transform->value.argument == 3);
  CHECK_FALSE(r.categories[2].transform.has_value());
  REQUIRE(r.purposes.names.size() == 2);
  CHECK(r.purposes.names[0].text == "analytics.aggregate");
  CHECK(r.when == nullptr);
}

TEST_CASE("parser: stars", "[parser]") {
  const auto p = parse_text("deny * to use * for *");
  const Rule& r = only_rule(p);
  CHECK(r.effect == Effect::kDeny);
  CHECK(r.roles.star);
  CHECK(r.all_categories);
  CHECK(r.purposes.star);
  CHECK(r.action == Action::kUse);
}

TEST_CASE("parser: condition precedence and associativity", "[parser]") {
  CHECK(when_shape("a.x or b.y and c.z") == "or(a.x,and(b.y,c.z))");
  CHECK(when_shape("a.x and b.y or c.z") == "or(and(a.x,b.y),c.z)");
  CHECK(when_shape("a.x and b.y and c.z and d.w") == "and(a.x,b.y,c.z,d.w)");
  CHECK(when_shape("(a.x and b.y) and c.z") == "and(and(a.x,b.y),c.z)");
  CHECK(when_shape("not \"eu\" in actor.regions") == "not(in('eu',actor.regions))");
  CHECK(when_shape("not not a.x") == "not(not(a.x))");
  CHECK(when_shape("subject.age >= 18") == "ge(subject.age,18)");
  CHECK(when_shape("now - 30d + 1h < time(\"1970-01-01T00:01:00Z\")") ==
        "lt(add(sub(now,2592000s),3600s),time:60)");
  CHECK(when_shape("x.y in [1, 2, [3]]") == "in(x.y,list(1,2,list(3)))");
  CHECK(when_shape("x.y in []") == "in(x.y,list())");
  CHECK(when_shape("true") == "true");
}

TEST_CASE("parser: each comparison operator keeps its meaning", "[parser]") {
  CHECK(when_shape("a.x == 1") == "eq(a.x,1)");
  CHECK(when_shape("a.x != 1") == "ne(a.x,1)");
  CHECK(when_shape("a.x < 1") == "lt(a.x,1)");
  CHECK(when_shape("a.x <= 1") == "le(a.x,1)");
  CHECK(when_shape("a.x > 1") == "gt(a.x,1)");
  CHECK(when_shape("a.x >= 1") == "ge(a.x,1)");
  CHECK(when_shape("not a.x >= 1 and b.y < 2") == "and(not(ge(a.x,1)),lt(b.y,2))");
}

TEST_CASE("parser: the @id may stand on the line above", "[parser]") {
  const auto p = parse_text("@id(\"x\")\n  deny r to read c for p");
  CHECK(only_rule(p).explicit_id == "x");
}

TEST_CASE("parser: declarations", "[parser]") {
  const auto p = parse_text(
      "policy \"acme\" version 7\n"
      "category a.b, c sensitive\n"
      "purpose m.e basis consent\n"
      "role s : a, b\n"
      "attribute actor.regions : [string]\n"
      "attribute context.at : time\n"
      "retain a for 90d for m, n\n");
  REQUIRE(p.diagnostics.empty());
  const auto& s = p.policy.ast.statements;
  REQUIRE(s.size() == 7);
  const auto& h = std::get<PolicyHeader>(s[0].node);
  CHECK(h.name == "acme");
  CHECK(h.version == 7);
  CHECK(std::get<CategoryDecl>(s[1].node).sensitive);
  CHECK(std::get<PurposeDecl>(s[2].node).basis->text == "consent");
  CHECK(std::get<RoleDecl>(s[3].node).parents.size() == 2);
  CHECK(std::get<AttributeDecl>(s[4].node).type == Type{BaseType::kString, true});
  CHECK(std::get<AttributeDecl>(s[5].node).type == Type{BaseType::kTime, false});
  const auto& r = std::get<RetainRule>(s[6].node);
  CHECK(r.period.seconds() == 90 * 86400);
  REQUIRE(r.purposes.has_value());
  CHECK(r.purposes->names.size() == 2);
}

TEST_CASE("parser: table bindings", "[parser]") {
  const auto p = parse_text(
      "table InvoiceLine {\n"
      "  subject Invoice.CustomerId via InvoiceId\n"
      "  collected \"Order Details\".Date via \"Order Id\"\n"
      "  UnitPrice, Quantity : behavior.purchases\n"
      "  InvoiceLineId, \"public\" : public\n"
      "  subject.region = Country\n"
      "}\n"
      "table Genre public\n");
  REQUIRE(p.diagnostics.empty());
  const auto& t = std::get<TableBinding>(p.policy.ast.statements[0].node);
  REQUIRE(t.entries.size() == 5);
  CHECK(t.entries[0].kind == EntryKind::kSubject);
  CHECK(t.entries[0].column.table->text == "Invoice");
  CHECK(t.entries[0].column.column.text == "CustomerId");
  CHECK(t.entries[0].via->text == "InvoiceId");
  CHECK(t.entries[1].column.table->text == "Order Details");
  CHECK(t.entries[1].via->text == "Order Id");
  CHECK(t.entries[2].category->text == "behavior.purchases");
  CHECK_FALSE(t.entries[3].category.has_value());
  CHECK(t.entries[3].columns[1].text == "public");
  CHECK(t.entries[4].kind == EntryKind::kAttribute);
  CHECK(t.entries[4].attribute.text == "subject.region");
  CHECK(std::get<TableBinding>(p.policy.ast.statements[1].node).is_public);
}

TEST_CASE("parser: syntax errors are reported where they are, and parsing goes on", "[parser]") {
  CHECK(codes_of("policy \"t\" version 1\n"
                 "allow a read c for p\n"
                 "deny a to read c p\n"
                 "allow a to read c for p when x.y = 1\n") ==
        std::vector<std::string>{"E010 2:9", "E010 3:18", "E010 4:34"});
  CHECK(codes_of("policy \"t\" version 1\nallow a to eat c for p") ==
        std::vector<std::string>{"E010 2:12"});
  CHECK(codes_of("policy \"t\" version 1\nallow a to read c for p when a.b == 1 == 2") ==
        std::vector<std::string>{"E010 2:39"});
  CHECK(codes_of("policy \"t\" version 1\ncategory allow.x\ncategory public") ==
        std::vector<std::string>{"E014 2:10", "E014 3:10"});
  CHECK(codes_of("policy \"t\" version 1\nallow a to read c as hash(2) for p") ==
        std::vector<std::string>{"E010 2:26"});
  CHECK(codes_of("policy \"t\" version 1\nallow a to read c as truncate for p") ==
        std::vector<std::string>{"E032 2:22"});
  CHECK(codes_of("policy \"t\" version 1\nretain c for 90") ==
        std::vector<std::string>{"E006 2:14"});
  CHECK(codes_of("policy \"t\" version 1\nattribute actor.x : float") ==
        std::vector<std::string>{"E044 2:21"});
}

TEST_CASE("parser: a broken table entry does not lose the others", "[parser]") {
  const auto p = parse_text(
      "table T {\n"
      "  subject Id\n"
      "  A B : c.d\n"
      "  C : \n"
      "  D : e.f\n"
      "}\n"
      "table U public\n");
  REQUIRE(p.diagnostics.size() == 2);
  CHECK(p.diagnostics[0].line == 3);
  CHECK(p.diagnostics[1].line == 5);  // `C :` then `D` is not a category
  const auto& t = std::get<TableBinding>(p.policy.ast.statements[0].node);
  REQUIRE(t.entries.size() == 2);  // `subject Id` and `C : D`
  CHECK(t.entries[1].category->text == "D");
  CHECK(p.policy.ast.statements.size() == 2);
}

TEST_CASE("parser: assertions", "[parser][assert]") {
  SECTION("the three kinds and their scope") {
    const auto p = parse_text(
        "assert never a, b to use x.y, z for p\n"
        "assert consent for * to read * for *\n"
        "assert at most truncate(3) for a to share x for p.q, r\n");
    REQUIRE(p.diagnostics.empty());
    REQUIRE(p.policy.ast.statements.size() == 3);
    const auto& never = std::get<Assertion>(p.policy.ast.statements[0].node);
    CHECK(never.kind == AssertKind::kNever);
    CHECK(never.roles.names.size() == 2);
    CHECK(never.action == Action::kUse);
    CHECK(never.categories.names[0].text == "x.y");
    CHECK(never.purposes.names[0].text == "p");
    const auto& consent = std::get<Assertion>(p.policy.ast.statements[1].node);
    CHECK(consent.kind == AssertKind::kConsent);
    CHECK(consent.roles.star);
    CHECK(consent.categories.star);
    CHECK(consent.purposes.star);
    const auto& at_most = std::get<Assertion>(p.policy.ast.statements[2].node);
    CHECK(at_most.kind == AssertKind::kAtMost);
    REQUIRE(at_most.at_most);
    CHECK(at_most.at_most->value.to_string() == "truncate(3)");
    CHECK(at_most.action == Action::kShare);
    CHECK(at_most.purposes.names.size() == 2);
  }
  SECTION("`assert` is a word only before never, consent or at: elsewhere a name") {
    const auto p = parse_text(
        "category assert, never\n"
        "allow assert to read assert for never\n");
    CHECK(p.diagnostics.empty());
    CHECK(std::get<Rule>(p.policy.ast.statements[1].node).roles.names[0].text == "assert");
  }
  SECTION("a statement after an assertion, and recovery after a broken one") {
    CHECK(codes_of("policy \"t\" version 1\nassert never a to read b\nrole a\n") ==
          std::vector<std::string>{"E010 3:1"});
    CHECK(codes_of("policy \"t\" version 1\nassert sometimes a\nrole a\n") ==
          std::vector<std::string>{"E010 2:1"});
  }
}

TEST_CASE("parser: comment lines may stand between @id(...) and its rule", "[parser]") {
  const auto p = parse_text("@id(\"a\")\n# why\n  # and why not\nallow r to read c for p\n");
  CHECK(*only_rule(p).explicit_id == "a");
  const auto blank = parse_text("@id(\"a\")\n# why\n\nallow r to read c for p\n");
  REQUIRE(blank.diagnostics.size() == 1);
  CHECK(blank.diagnostics[0].id == "E010");
  CHECK(blank.diagnostics[0].line == 1);
}
