#include "lang/formatter.hpp"

#include "base/file.hpp"
#include "catch.hpp"
#include "custos/limits.hpp"
#include "lang_test_util.hpp"

using namespace custos::lang;

namespace {

// Formats text; fails the test on syntax errors.
std::string fmt(const std::string& text) {
  SourceFile file("t.custos", text);
  DiagnosticSink sink(file);
  const auto parsed = parse(file, sink);
  REQUIRE_FALSE(sink.has_errors());
  return format_policy(file, parsed);
}

}  // namespace

TEST_CASE("formatter: spacing and one statement per line", "[formatter]") {
  CHECK(fmt("policy   \"t\"   version 1 category a,b,c  sensitive purpose p basis contract") ==
        "policy \"t\" version 1\ncategory a, b, c sensitive\npurpose p basis contract\n");
  CHECK(fmt("role s:a,b\nattribute actor.r:[string]") ==
        "role s : a, b\nattribute actor.r : [string]\n");
  CHECK(fmt("@id(\"x\") allow a,b to read c as truncate( 3 ),d for p when(x.y==1)and not x.z") ==
        "@id(\"x\")\nallow a, b to read c as truncate(3), d for p when (x.y == 1) and not x.z\n");
  CHECK(fmt("retain a,b for 90d for p,q") == "retain a, b for 90d for p, q\n");
  CHECK(
      fmt("allow * to use * for * when x.t - 1w < time(\"2026-01-01T00:00:00Z\") and x.l in []") ==
      "allow * to use * for * when x.t - 1w < time(\"2026-01-01T00:00:00Z\") and x.l in []\n");
}

TEST_CASE("formatter: strings are re-escaped", "[formatter]") {
  CHECK(fmt("policy \"a\\\"b\\\\c\\n\\u{1}\\u{e9}\" version 1") ==
        "policy \"a\\\"b\\\\c\\n\\u{1}\xC3\xA9\" version 1\n");
}

TEST_CASE("formatter: tables", "[formatter]") {
  CHECK(fmt("table T{subject Inv.C via I collected \"Order Details\".D via \"Order Id\" "
            "A,B:c.d E:public subject.r=F}table G public") ==
        "table T {\n"
        "  subject Inv.C via I\n"
        "  collected \"Order Details\".D via \"Order Id\"\n"
        "  A, B : c.d\n"
        "  E : public\n"
        "  subject.r = F\n"
        "}\n"
        "table G public\n");
}

TEST_CASE("formatter: comments stay with what they describe", "[formatter]") {
  CHECK(fmt("# head\n\n\n\ncategory a  # trailing   \n# before b\ncategory b\n# tail\n") ==
        "# head\n\ncategory a  # trailing\n# before b\ncategory b\n# tail\n");
  // A comment inside a statement moves above it.
  CHECK(fmt("allow a to read c # why c\n  for p\n") == "# why c\nallow a to read c for p\n");
  CHECK(fmt("table T {  # the T table\n  # the subject\n  subject Id  # id\n\n  A : c  # a\n  "
            "# end\n}  # after\n") ==
        "table T {  # the T table\n  # the subject\n  subject Id  # id\n\n  A : c  # a\n  "
        "# end\n}  # after\n");
}

TEST_CASE("formatter: long rules wrap, `when` on its own line", "[formatter]") {
  const std::string in =
      "allow analyst to read identity.name as hash, identity.birthdate as year, contact.address "
      "as truncate(3), behavior for analytics.aggregate when subject.age >= 18 and "
      "subject.region == actor.region";
  const std::string out = fmt(in);
  CHECK(out ==
        "allow analyst to read identity.name as hash, identity.birthdate as year,\n"
        "  contact.address as truncate(3), behavior for analytics.aggregate\n"
        "  when subject.age >= 18 and subject.region == actor.region\n");
  CHECK(fmt(out) == out);
}

TEST_CASE("formatter: output is a fixed point and checks clean for the examples",
          "[formatter][examples]") {
  for (const char* name : {"crm.custos", "loyalty.custos"}) {
    INFO(name);
    const auto read =
        custos::detail::read_file(std::string(CUSTOS_SOURCE_DIR) + "/policy-lang/examples/" + name,
                                  custos::limits::kMaxPolicyBytes);
    REQUIRE(read.ok());
    const std::string& text = *read;
    const std::string once = fmt(text);
    CHECK(once == text);  // the examples are kept in canonical form
    CHECK(fmt(once) == once);
    const auto a = custos::test::analyze_text(once);
    CHECK(a.error_count == 0);
  }
}
