// The access matrix against the engine, its rows, assertions and diffs.
#include "policy/matrix.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>

#include "catch.hpp"
#include "custos/engine.hpp"
#include "policy/assertions.hpp"
#include "policy/diff.hpp"

namespace fs = std::filesystem;
using namespace custos;
using namespace custos::detail;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::shared_ptr<const lang::CheckedPolicy> checked(const std::string& text,
                                                   const std::string& name = "t.custos") {
  auto a = lang::analyze(name, text);
  for (const auto& d : a.diagnostics) UNSCOPED_INFO(d.to_string());
  REQUIRE(a.policy);
  return a.policy;
}

std::unique_ptr<AccessMatrix> matrix_of(std::shared_ptr<const lang::CheckedPolicy> p) {
  auto m = AccessMatrix::build(std::move(p));
  REQUIRE(m.ok());
  return std::move(*m);
}

// Every row as one line: "ROLES ACTION CATEGORIES for PURPOSES: ACCESS".
std::vector<std::string> row_lines(const MatrixTable& t, bool with_no_allow = false) {
  std::vector<std::string> out;
  const auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
    return s;
  };
  for (const auto& r : t.rows) {
    const Access& a = t.accesses[r.access];
    if (a.effect == "no_allow" && !with_no_allow) continue;
    std::string line = join(r.roles) + " " + r.action + " " + join(r.categories) + " for " +
                       join(r.purposes) + ": " + a.effect;
    if (a.allowed()) {
      line +=
          " " + a.transform + " " + a.rule + " consent=" + a.consent + " retention=" + a.retention;
    } else if (!a.rule.empty()) {
      line += " " + a.rule;
    }
    for (const auto& c : a.conditions) line += " [" + c + "]";
    out.push_back(line);
  }
  return out;
}

std::vector<std::string> diagnostics_of(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& d : analyze_policy("t.custos", text).diagnostics) out.push_back(d.to_string());
  return out;
}

const char* kPolicy =
    "policy \"t\" version 1\n"
    "category contact.email, contact.phone\n"
    "category health.allergies sensitive\n"
    "purpose support basis contract\n"
    "purpose marketing basis consent\n"
    "purpose marketing.email\n"
    "purpose analytics basis legitimate_interest\n"
    "role agent, marketer, analyst\n"
    "role lead : agent\n"
    "retain contact, health for 2y\n"
    "retain contact.email for 30d for marketing\n";

}  // namespace

TEST_CASE("matrix: effects, transforms, inheritance, consent and retention", "[matrix]") {
  auto m =
      matrix_of(checked(std::string(kPolicy) +
                        "allow agent to read contact, contact.email as mask for support\n"  // 12
                        "allow lead to read contact.email for support\n"                    // 13
                        "allow marketer to read contact.email for marketing\n"              // 14
                        "allow analyst to read * as hash for analytics\n"                   // 15
                        "deny * to read health for analytics\n"                             // 16
                        "allow agent to share contact.phone for support\n"                  // 17
                        "  when subject.id == \"x\"\n"));
  auto t = build_matrix_table(*m);
  REQUIRE(t.ok());
  CHECK(row_lines(*t) ==
        std::vector<std::string>{
            "agent read contact.email for support: allow mask t.custos:12 consent=none "
            "retention=2y",
            "agent,lead read contact.phone for support: allow plain t.custos:12 consent=none "
            "retention=2y",
            "* read health for analytics: deny t.custos:16",
            "agent,lead share contact.phone for support: allow plain t.custos:17 consent=none "
            "retention=2y [allow t.custos:17 when subject.id == \"x\"]",
            "marketer read contact.email for marketing,marketing.email: allow plain t.custos:14 "
            "consent=needed retention=30d",
            "analyst read contact for analytics: allow hash t.custos:15 consent=objectable "
            "retention=2y",
            "lead read contact.email for support: allow plain t.custos:13 consent=none "
            "retention=2y",
        });
}

TEST_CASE("matrix: conditional rules and their place among the allows", "[matrix]") {
  auto m = matrix_of(checked(std::string(kPolicy) +
                             "allow agent to read contact.email as mask for support\n"  // 12
                             "allow agent to read contact.email for support\n"          // 13
                             "  when subject.id == \"a\"\n"                             // 14
                             "allow agent to read contact.phone for support\n"          // 15
                             "  when subject.id == \"b\"\n"                             // 16
                             "allow agent to read contact.phone for support\n"          // 17
                             "deny agent to read contact.phone for support\n"           // 18
                             "  when subject.id == \"c\"\n"));
  std::vector<std::uint32_t> table;
  m->role_table(0, table);  // agent
  const auto& syms = m->policy().symbols;
  const auto at = [&](const char* category) {
    const auto leaf =
        static_cast<std::uint32_t>(m->leaves().leaf_of[syms.category_ids.at(category)]);
    return m->outcome(table[m->cell(0, syms.purpose_ids.at("support"), leaf)]);
  };
  // Plain only under its condition; mask otherwise: the row says plain, conditional.
  const MatrixOutcome email = at("contact.email");
  CHECK(email.effect == MatrixEffect::kAllow);
  CHECK(email.transform.to_string() == "plain");
  CHECK(email.rule == 1);
  CHECK(email.conditions == std::vector<std::int32_t>{1});
  // A conditional allow before an unconditional one of the same form, and a
  // conditional deny: both conditions decide.
  const MatrixOutcome phone = at("contact.phone");
  CHECK(phone.rule == 2);
  CHECK(phone.conditions == std::vector<std::int32_t>{2, 4});
}

TEST_CASE("matrix: a request naming a non-leaf category is decided as its leaves", "[matrix]") {
  auto m = matrix_of(checked(std::string(kPolicy) +
                             "allow agent to read contact, contact.email as hash for support\n"
                             "allow agent to read health for support\n"
                             "deny agent to read contact.phone for analytics\n"));
  std::vector<std::uint32_t> table;
  m->role_table(0, table);
  const auto& syms = m->policy().symbols;
  const auto contact = static_cast<std::uint32_t>(syms.category_ids.at("contact"));
  const MatrixOutcome support = m->item(table, 0, contact, syms.purpose_ids.at("support"));
  CHECK(support.effect == MatrixEffect::kAllow);
  CHECK(support.transform.to_string() == "hash");  // the least revealing leaf
  const MatrixOutcome analytics = m->item(table, 0, contact, syms.purpose_ids.at("analytics"));
  CHECK(analytics.effect == MatrixEffect::kNoAllow);  // contact.email, the first leaf, has no allow
}

TEST_CASE("matrix: --role and --purpose filters name the rows exactly", "[matrix]") {
  auto m = matrix_of(checked(std::string(kPolicy) + "allow * to read contact for marketing\n"));
  MatrixFilter f;
  f.role = 1;  // marketer
  f.purpose = static_cast<std::uint32_t>(m->policy().symbols.purpose_ids.at("marketing"));
  auto t = build_matrix_table(*m, f);
  REQUIRE(t.ok());
  CHECK(row_lines(*t, true) ==
        std::vector<std::string>{
            "marketer read contact.email for marketing,marketing.email: allow plain t.custos:12 "
            "consent=needed retention=30d",
            "marketer read contact.phone for marketing,marketing.email: allow plain t.custos:12 "
            "consent=needed retention=2y",
            "marketer read health for marketing,marketing.email: no_allow",
            "marketer share * for marketing,marketing.email: no_allow",
        });
}

// The matrix and the engine agree: for every role (and an actor with no
// role), action, leaf and requestable purpose whose outcome no condition
// decides, a request with a granted consent record for its purpose and data
// collected just now gets exactly the matrix's effect, transform and rule.
TEST_CASE("matrix: agrees with the engine on the example policies", "[matrix][engine]") {
  std::vector<fs::path> files;
  for (const char* dir : {"policy-lang/examples", "tests/engine/policies"}) {
    for (const auto& e : fs::directory_iterator(fs::path(CUSTOS_SOURCE_DIR) / dir)) {
      if (e.path().extension() == ".custos") files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 10);
  const Timestamp now = 1'800'000'000;
  std::size_t compared = 0;
  for (const auto& path : files) {
    INFO(path.filename().string());
    const std::string text = slurp(path);
    const std::string name = path.filename().string();
    auto m = matrix_of(checked(text, name));
    auto policy = Policy::compile(text, name);
    REQUIRE(policy.ok());
    EngineOptions options;
    options.trust_request_time = true;
    options.trust_request_consent = true;
    Engine engine(*policy, std::move(options));
    const auto& p = m->policy();
    std::vector<std::uint32_t> table;
    for (std::uint32_t role = 0; role < m->role_count(); ++role) {
      m->role_table(role, table);
      for (int action = 0; action < 2; ++action) {
        for (std::uint32_t purpose = 0; purpose < m->purpose_count(); ++purpose) {
          if (!m->requestable(purpose)) continue;
          for (std::uint32_t category = 0; category < p.symbols.categories.size(); ++category) {
            const MatrixOutcome o = m->item(table, action, category, purpose);
            if (o.conditional()) continue;
            Request r;
            if (role != m->no_role()) r.actor.roles = {p.symbols.roles[role].name};
            r.action = action == 0 ? "read" : "share";
            r.purpose = p.symbols.purposes[purpose].name;
            r.subject =
                Request::Subject{"s-1",
                                 {},
                                 std::vector<ConsentRecord>{
                                     {r.purpose, ConsentState::kGranted, now - 10, {}, "test"}}};
            r.categories = {p.symbols.categories[category].name};
            r.collected_at = now;
            r.time = now;
            const Decision d = engine.check(r);
            REQUIRE(d.items.size() == 1);
            const auto& item = d.items[0];
            INFO(r.to_json());
            switch (o.effect) {
              case MatrixEffect::kAllow:
                CHECK(item.allowed);
                CHECK(item.transform == o.transform);
                CHECK(item.rule == p.rules[static_cast<std::size_t>(o.rule)].id);
                break;
              case MatrixEffect::kDeny:
                CHECK(item.reason == Reason::kDeniedByRule);
                CHECK(item.rule == p.rules[static_cast<std::size_t>(o.rule)].id);
                break;
              case MatrixEffect::kNoAllow:
                // Not allowed either way; a deny rule whose condition cannot
                // be evaluated (no attributes here) ranks first.
                if (item.reason == Reason::kConditionError) {
                  const auto rule = std::find_if(p.rules.begin(), p.rules.end(),
                                                 [&](const auto& x) { return x.id == item.rule; });
                  REQUIRE(rule != p.rules.end());
                  CHECK(rule->effect == lang::Effect::kDeny);
                  CHECK(rule->when != nullptr);
                } else {
                  CHECK(item.reason == Reason::kNoMatchingAllow);
                }
                break;
            }
            ++compared;
          }
        }
      }
    }
  }
  CHECK(compared > 10000);
}

TEST_CASE("assertions: each kind catches a seeded violation with its counterexample",
          "[assertions]") {
  const std::string base = std::string(kPolicy) +
                           "allow agent to read contact for support\n"              // 12
                           "allow lead to read health for support\n"                // 13
                           "allow analyst to read contact.email for analytics\n"    // 14
                           "allow marketer to read contact.email for marketing\n";  // 15
  SECTION("the promises hold") {
    CHECK(diagnostics_of(base + "assert never * to share * for *\n"
                                "assert never marketer, analyst to use health for *\n"
                                "assert consent for * to use * for marketing\n"
                                "assert never agent to share health for *\n")
              .empty());
  }
  SECTION("never: an inherited grant") {
    CHECK(diagnostics_of(base + "assert never agent to read health for *\n") ==
          std::vector<std::string>{
              "t.custos:16:1: error[E060]: assertion fails: role `lead` can read "
              "`health.allergies` for `support`\n"
              " 16 | assert never agent to read health for *\n"
              "    | ^~~~~~\n"
              " = hint: rule `t.custos:13` allows it\n"});
  }
  SECTION("consent: a legitimate-interest grant") {
    CHECK(diagnostics_of(base + "assert consent for * to use contact for marketing, analytics\n") ==
          std::vector<std::string>{
              "t.custos:16:1: error[E061]: assertion fails: role `analyst` can read "
              "`contact.email` for `analytics` without consent (`analytics` has basis "
              "legitimate_interest)\n"
              " 16 | assert consent for * to use contact for marketing, analytics\n"
              "    | ^~~~~~\n"
              " = hint: rule `t.custos:14` allows it\n"});
  }
  SECTION("at most: a plain grant, and how many more break it") {
    CHECK(diagnostics_of(base + "assert at most mask for agent to read contact for support\n") ==
          std::vector<std::string>{
              "t.custos:16:1: error[E062]: assertion fails: role `agent` can read "
              "`contact.email` for `support` as plain, which reveals more than mask\n"
              " 16 | assert at most mask for agent to read contact for support\n"
              "    | ^~~~~~\n"
              " = hint: rule `t.custos:12` allows it; 3 more requests in the assertion's scope "
              "break it too (`custos matrix` shows them)\n"});
  }
  SECTION("never: whatever the condition, and an actor with no role under `*`") {
    CHECK(diagnostics_of(base +
                         "allow * to share contact.phone for support when subject.id == \"x\"\n" +
                         "assert never * to share * for *\n") ==
          std::vector<std::string>{
              "t.custos:16:12: warning[W010]: this rule shares data, but no purpose is marked "
              "`gpc`: a Global Privacy Control signal would stop no sharing\n"
              " 16 | allow * to share contact.phone for support when subject.id == \"x\"\n"
              "    |            ^~~~~\n"
              " = hint: mark the purposes of sale and sharing with `gpc`: `purpose partners.sale "
              "basis consent gpc`\n",
              "t.custos:17:1: error[E060]: assertion fails: role `agent` can share "
              "`contact.phone` for `support`\n"
              " 17 | assert never * to share * for *\n"
              "    | ^~~~~~\n"
              " = hint: rule `t.custos:16` allows it when its condition holds; 4 more requests "
              "in the assertion's scope break it too (`custos matrix` shows them)\n"});
  }
  SECTION("a broken assertion rejects the policy") {
    std::vector<Diagnostic> diagnostics;
    auto p = Policy::compile(base + "assert never agent to read health for *\n", "t.custos",
                             &diagnostics);
    CHECK_FALSE(p.ok());
    REQUIRE(diagnostics.size() == 1);
    CHECK(diagnostics[0].id == "E060");
  }
}

TEST_CASE("diff: gained, lost and changed rows between two versions", "[diff]") {
  auto older = matrix_of(checked(std::string(kPolicy) +
                                 "allow agent to read contact for support\n"
                                 "allow analyst to read contact as hash for analytics\n"
                                 "allow marketer to read contact.email for marketing.email\n"));
  auto newer = matrix_of(checked(std::string(kPolicy) +
                                     "\n"  // every default id moves: not a change in access
                                     "allow agent to read contact.email for support\n"
                                     "allow analyst to read contact as mask for analytics\n"
                                     "allow marketer to read contact.email for marketing\n",
                                 "new.custos"));
  auto d = diff_policies(*older, *newer);
  REQUIRE(d.ok());
  const auto lines = [&](const std::vector<MatrixRow>& rows) {
    MatrixTable t{d->accesses, rows};
    return row_lines(t, true);
  };
  CHECK(lines(d->gained) ==
        std::vector<std::string>{"marketer read contact.email for marketing: allow plain "
                                 "new.custos:15 consent=needed retention=30d"});
  CHECK(lines(d->lost) ==
        std::vector<std::string>{
            "agent,lead read contact.phone for support: allow plain t.custos:12 consent=none "
            "retention=2y"});
  REQUIRE(d->changed.size() == 1);
  CHECK(lines(d->changed) ==
        std::vector<std::string>{"analyst read contact for analytics: allow mask new.custos:14 "
                                 "consent=objectable retention=2y"});
  CHECK(d->accesses[static_cast<std::size_t>(d->changed[0].from)].transform == "hash");
  CHECK(d->more_revealing);

  auto same = diff_policies(*older, *older);
  REQUIRE(same.ok());
  CHECK(same->gained.empty());
  CHECK(same->lost.empty());
  CHECK(same->changed.empty());
  CHECK_FALSE(same->more_revealing);
}
