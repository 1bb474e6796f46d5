// Size limits found by an adversarial trial (issue 6, item 9): each input
// once exhausted memory or took seconds, and must now get a clear error, fast.
#include <malloc.h>

#include "catch.hpp"
#include "custos/limits.hpp"
#include "custos/policy.hpp"
#include "lang_test_util.hpp"

using namespace custos;
using custos::test::analyze_text;
using custos::test::diagnostic_codes;

namespace {

const std::string kHeader = "policy \"t\" version 1\ncategory c\npurpose p basis contract\n";

std::string first_message(const lang::Analysis& a, const std::string& id) {
  for (const auto& d : a.diagnostics) {
    if (d.id == id) return d.message;
  }
  return "";
}

}  // namespace

TEST_CASE("limits: 300,000 role lines are refused by the checker", "[limits]") {
  std::string text = kHeader;
  for (int i = 0; i < 300000; ++i) text += "role r" + std::to_string(i) + "\n";
  text += "allow r0 to read c for p\n";
  const auto a = analyze_text(text);
  CHECK(a.policy == nullptr);
  CHECK(first_message(a, "E012") == "too many roles (limit: 4096)");
  CHECK(a.error_count == 1);  // one report, not one per extra role
}

TEST_CASE("limits: exactly kMaxRoles roles compile", "[limits]") {
  std::string text = kHeader;
  for (std::size_t i = 0; i < limits::kMaxRoles; ++i) text += "role r" + std::to_string(i) + "\n";
  text += "allow r4095 to read c for p\nretain c for 1y\n";
  auto policy = Policy::compile(text, "t.custos");
  REQUIRE(policy.ok());
  CHECK((*policy)->rule_count() == 1);
}

TEST_CASE("limits: a 50,000-role inheritance chain is refused", "[limits]") {
  std::string text = kHeader + "role r0\n";
  for (int i = 1; i < 50000; ++i) {
    text += "role r" + std::to_string(i) + " : r" + std::to_string(i - 1) + "\n";
  }
  const auto a = analyze_text(text);
  CHECK(a.policy == nullptr);
  CHECK(first_message(a, "E012") == "too many roles (limit: 4096)");
}

TEST_CASE("limits: role inheritance deeper than kMaxRoleDepth is refused", "[limits]") {
  std::string text = kHeader + "role r0\n";
  for (std::size_t i = 1; i <= limits::kMaxRoleDepth; ++i) {
    text += "role r" + std::to_string(i) + " : r" + std::to_string(i - 1) + "\n";
  }
  // r64 inherits through 64 levels: one too many (r0..r63 is the limit).
  const auto a = analyze_text(text + "retain c for 1y\n");
  CHECK(diagnostic_codes(a) == std::vector<std::string>{"E012 " + std::to_string(4 + 64) + ":6"});
  CHECK(first_message(a, "E012") == "role `r64` inherits through more than 64 levels of roles");

  std::string ok = kHeader + "role r0\n";
  for (std::size_t i = 1; i < limits::kMaxRoleDepth; ++i) {
    ok += "role r" + std::to_string(i) + " : r" + std::to_string(i - 1) + "\n";
  }
  CHECK(analyze_text(ok + "retain c for 1y\n").policy != nullptr);
}

TEST_CASE("limits: a 32,000-part dotted name declares only prefixes within the limit", "[limits]") {
  std::string name = "a";
  for (int i = 1; i < 32000; ++i) name += ".b";
  malloc_trim(0);
  const std::size_t before = mallinfo2().uordblks;
  const auto a = analyze_text(kHeader + "category " + name + "\nretain c for 1y\n");
  const std::size_t held = mallinfo2().uordblks - before;
  CHECK(a.policy == nullptr);
  CHECK(diagnostic_codes(a) == std::vector<std::string>{"E012 4:10"});
  CHECK(held < 16u * 1024 * 1024);  // was 2.1 GB
}

TEST_CASE("limits: a name just past the limit does not cascade into undeclared errors",
          "[limits]") {
  const std::string name = "contact." + std::string(300, 'x');
  const auto a =
      analyze_text(kHeader + "role r\ncategory " + name + "\nallow r to read contact for p\n");
  CHECK(diagnostic_codes(a) == std::vector<std::string>{"E012 5:10"});
}

TEST_CASE("checker: a category listed twice in one rule is E034", "[checker]") {
  const std::string text = kHeader +
                           "category d.x, d.y\nrole r\nretain * for 1y\n"
                           "allow r to read d.x as hash, d.y, d.x as mask for p\n";
  const auto a = analyze_text(text);
  CHECK(diagnostic_codes(a) == std::vector<std::string>{"E034 7:35"});
  CHECK(first_message(a, "E034") == "category `d.x` is listed twice in this rule");
  // The same category through a parent and a child is not a repeat: the
  // child's item is the more specific.
  CHECK(analyze_text(kHeader + "category d.x, d.y\nrole r\nretain * for 1y\n"
                               "allow r to read d as hash, d.x for p\n")
            .policy != nullptr);
}

TEST_CASE("limits: a policy name longer than kMaxPolicyNameBytes is E015", "[limits]") {
  const std::string body = "\ncategory c\npurpose p basis contract\nretain c for 1y\n";
  const std::string longest(limits::kMaxPolicyNameBytes, 'n');
  CHECK(analyze_text("policy \"" + longest + "\" version 1" + body).policy != nullptr);
  const auto a = analyze_text("policy \"" + longest + "n\" version 1" + body);
  CHECK(diagnostic_codes(a) == std::vector<std::string>{"E015 1:8"});
  CHECK(first_message(a, "E015") == "a policy name is at most 64 bytes");
}

TEST_CASE("limits: `(`, `not` and `+` count nesting alike, up to kMaxExpressionDepth", "[limits]") {
  // Once `(` and `not` allowed 63 levels and `+` 64, and `+` chains inside
  // parentheses were counted apart, so a condition could nest far deeper
  // than the limit promises.
  const std::string start = kHeader +
                            "role r\nretain c for 1y\nattribute context.t : time\n"
                            "allow r to read c for p when ";
  const auto depth_ok = [&](const std::string& condition) {
    return analyze_text(start + condition + "\n").policy != nullptr;
  };
  const auto repeat = [](const std::string& s, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += s;
    return out;
  };
  const std::size_t max = limits::kMaxExpressionDepth;
  CHECK(depth_ok(repeat("(", max) + "true" + repeat(")", max)));
  CHECK_FALSE(depth_ok(repeat("(", max + 1) + "true" + repeat(")", max + 1)));
  CHECK(depth_ok(repeat("not ", max) + "true"));
  CHECK_FALSE(depth_ok(repeat("not ", max + 1) + "true"));
  CHECK(depth_ok("context.t" + repeat(" + 1d", max) + " > now"));
  CHECK_FALSE(depth_ok("context.t" + repeat(" + 1d", max + 1) + " > now"));
  // Mixed: half parentheses, half `+` inside them.
  const std::size_t half = max / 2;
  CHECK(depth_ok(repeat("(", half) + "context.t" + repeat(" + 1d", half) + " > now" +
                 repeat(")", half)));
  CHECK_FALSE(depth_ok(repeat("(", half) + "context.t" + repeat(" + 1d", half + 1) + " > now" +
                       repeat(")", half)));
  const auto a = analyze_text(start + repeat("not ", max + 1) + "true\n");
  REQUIRE_FALSE(a.diagnostics.empty());
  CHECK(a.diagnostics[0].id == "E011");
  CHECK(a.diagnostics[0].message == "condition is nested too deeply (limit: 64 levels)");
}
