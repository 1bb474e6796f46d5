// The language of consent signals: `signals tcf vendor N | publisher`, and
// `tcf P, ...` and `gpc` on purposes (policy-lang/REFERENCE.md, "Consent
// signals"): parsing, checking (E024, E070-E073, W010, W011) and formatting.
#include "base/file.hpp"
#include "catch.hpp"
#include "custos/limits.hpp"
#include "lang/checker.hpp"
#include "lang/formatter.hpp"
#include "lang_test_util.hpp"

using namespace custos::lang;
using custos::test::analyze_text;
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

std::string first_message(const std::string& text) {
  const auto a = analyze_text(text);
  REQUIRE_FALSE(a.diagnostics.empty());
  return a.diagnostics.front().message +
         (a.diagnostics.front().hint.empty() ? "" : " | " + a.diagnostics.front().hint);
}

std::string fmt(const std::string& text) {
  SourceFile file("t.custos", text);
  DiagnosticSink sink(file);
  const auto parsed = parse(file, sink);
  REQUIRE_FALSE(sink.has_errors());
  return format_policy(file, parsed);
}

// A valid policy with a consent purpose, an LI purpose and a contract one.
const std::string kBase =
    "policy \"t\" version 1\n"                   // 1
    "category c\n"                               // 2
    "role r\n"                                   // 3
    "retain * for 1y\n"                          // 4
    "allow r to read c for *\n"                  // 5
    "purpose ads basis consent\n"                // 6
    "purpose stats basis legitimate_interest\n"  // 7
    "purpose service basis contract\n";          // 8

const HierarchyNode& purpose(const CheckedPolicy& p, const std::string& name) {
  return p.symbols.purposes[static_cast<std::size_t>(p.symbols.purpose_ids.at(name))];
}

}  // namespace

TEST_CASE("signals: the `signals` line and purpose marks parse", "[signals][parser]") {
  const auto p = parse_text(
      "signals tcf vendor 755\n"
      "purpose marketing.personalised basis consent tcf 3, 4\n"
      "purpose partners.sale basis consent gpc\n"
      "purpose m tcf 1 gpc\n"
      "purpose tcf, gpc basis contract\n"  // the words are not reserved
      "signals tcf publisher\n");
  REQUIRE(p.diagnostics.empty());
  const auto& s = p.policy.ast.statements;
  REQUIRE(s.size() == 6);
  const auto* vendor = std::get_if<SignalsDecl>(&s[0].node);
  REQUIRE(vendor);
  CHECK_FALSE(vendor->publisher);
  CHECK(vendor->vendor == 755);
  const auto* personalised = std::get_if<PurposeDecl>(&s[1].node);
  REQUIRE(personalised);
  REQUIRE(personalised->tcf_purposes.size() == 2);
  CHECK(personalised->tcf_purposes[0].id == 3);
  CHECK(personalised->tcf_purposes[1].id == 4);
  CHECK(personalised->basis->text == "consent");
  CHECK_FALSE(personalised->gpc_span);
  const auto* sale = std::get_if<PurposeDecl>(&s[2].node);
  CHECK(sale->gpc_span);
  CHECK_FALSE(sale->tcf_span);
  const auto* both = std::get_if<PurposeDecl>(&s[3].node);
  CHECK(both->tcf_purposes.size() == 1);
  CHECK(both->gpc_span);
  CHECK_FALSE(both->basis);
  const auto* names = std::get_if<PurposeDecl>(&s[4].node);
  REQUIRE(names->names.size() == 2);
  CHECK(names->names[0].text == "tcf");
  CHECK(names->names[1].text == "gpc");
  CHECK_FALSE(names->tcf_span);
  const auto* publisher = std::get_if<SignalsDecl>(&s[5].node);
  REQUIRE(publisher);
  CHECK(publisher->publisher);
}

TEST_CASE("signals: syntax errors say what is expected", "[signals][parser]") {
  const std::string head = "policy \"t\" version 1\n";
  CHECK(codes_of(head + "signals gpc\n") == std::vector<std::string>{"E010 2:9"});
  CHECK(first_message(head + "signals gpc\n") ==
        "expected `tcf` after `signals`, found `gpc` | write `signals tcf vendor N` (N: your IAB "
        "vendor id) or `signals tcf publisher`");
  CHECK(first_message(head + "signals tcf 755\n") ==
        "expected `vendor` or `publisher` after `signals tcf`, found an integer | write `signals "
        "tcf vendor N` (N: your IAB vendor id) or `signals tcf publisher`");
  CHECK(first_message(head + "signals tcf vendor acme\n") ==
        "expected an integer (an IAB vendor id) after `vendor`, found a name");
  CHECK(first_message(head + "purpose m basis consent tcf\n") ==
        "expected a TCF purpose number after `tcf`, found end of file | TCF purposes are numbered "
        "1 to 11: `tcf 3, 4`");
  CHECK(codes_of(head + "purpose m basis consent tcf 3,\nrole r\n") ==
        std::vector<std::string>{"E010 2:30"});
  CHECK(first_message(head + "purpose m basis consent tcf 3,\nrole r\n") ==
        "a list cannot end with `,` | remove the `,` or add the missing TCF purpose");
  CHECK(first_message(head + "purpose m basis consent gpc tcf 3\n") ==
        "`tcf` comes before `gpc` | write `tcf P, ... gpc`");
  CHECK(first_message(head + "purpose m basis consent tcf 3 tcf 4\n") ==
        "`tcf` is given twice | list every TCF purpose after one `tcf`: `tcf 3, 4`");
  CHECK(first_message(head + "purpose m basis consent gpc gpc\n") == "`gpc` is given twice");
  CHECK(first_message(head + "purpose m tcf 3 basis consent\n") ==
        "`basis` comes before `tcf` and `gpc` | write `purpose NAME basis BASIS tcf P, ... gpc`");
  // The parser resumes at the next statement: both errors are reported.
  CHECK(codes_of(head + "signals tcf vendor\npurpose m basis consent gpc gpc\n") ==
        std::vector<std::string>{"E010 3:1", "E010 3:29"});
}

TEST_CASE("signals: marks hold for descendants, TCF purposes add up", "[signals][checker]") {
  const auto a = analyze_text(kBase +
                              "signals tcf vendor 755\n"
                              "purpose ads.personalised tcf 3, 4\n"
                              "purpose ads.personalised.email tcf 1\n"
                              "purpose ads.partners gpc\n"
                              "purpose ads.partners.sale\n"
                              "purpose stats.measure tcf 7, 9\n");
  REQUIRE(a.policy);
  const auto& p = *a.policy;
  CHECK(p.signals.tcf);
  CHECK_FALSE(p.signals.publisher);
  CHECK(p.signals.vendor == 755);
  CHECK(purpose(p, "ads").tcf == 0);
  CHECK(purpose(p, "ads.personalised").own_tcf == 0b1100);
  CHECK(purpose(p, "ads.personalised").tcf == 0b1100);
  CHECK(purpose(p, "ads.personalised.email").own_tcf == 0b1);
  CHECK(purpose(p, "ads.personalised.email").tcf == 0b1101);
  CHECK(purpose(p, "ads.partners").gpc);
  CHECK(purpose(p, "ads.partners.sale").gpc);
  CHECK_FALSE(purpose(p, "ads.partners.sale").own_gpc);
  CHECK_FALSE(purpose(p, "ads").gpc);
  CHECK(purpose(p, "stats.measure").tcf == (1 << 6 | 1 << 8));
  const auto publisher = analyze_text(kBase + "signals tcf publisher\n");
  REQUIRE(publisher.policy);
  CHECK(publisher.policy->signals.tcf);
  CHECK(publisher.policy->signals.publisher);
  const auto none = analyze_text(kBase);
  REQUIRE(none.policy);
  CHECK_FALSE(none.policy->signals.tcf);
}

TEST_CASE("signals: checker errors", "[signals][checker]") {
  const std::string s = kBase + "signals tcf vendor 1\n";  // line 9
  SECTION("E070 a TCF purpose outside 1-11") {
    CHECK(codes_of(s + "purpose ads.x tcf 0, 11, 12\n") ==
          std::vector<std::string>{"E070 10:19", "E070 10:26"});
    CHECK(first_message(s + "purpose ads.x tcf 12\n") ==
          "there is no TCF purpose 12 | TCF purposes are numbered 1 to 11");
  }
  SECTION("E071 legitimate interest mapped to TCF purposes 3 to 6") {
    CHECK(codes_of(s + "purpose stats.x tcf 2, 3, 4, 5, 6, 7\n") ==
          std::vector<std::string>{"E071 10:24", "E071 10:27", "E071 10:30", "E071 10:33"});
    CHECK(first_message(s + "purpose stats.x tcf 3\n") ==
          "TCF purpose 3 cannot rest on legitimate interest: the TCF allows only consent for "
          "purposes 3 to 6 | purpose `stats.x` has basis legitimate_interest: give it basis "
          "consent, or map it to other TCF purposes");
    // Allowed: LI with purposes 2 and 7 to 11; consent with any.
    CHECK(codes_of(s + "purpose stats.x tcf 2, 7, 8, 9, 10, 11\n").empty());
    CHECK(codes_of(s + "purpose ads.x tcf 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11\n").empty());
    // A purpose that takes basis legitimate_interest under a mapped parent.
    CHECK(codes_of(s + "purpose ads.x tcf 4\npurpose ads.x.y basis legitimate_interest\n") ==
          std::vector<std::string>{"E071 11:9"});
    CHECK(first_message(s + "purpose ads.x tcf 4\npurpose ads.x.y basis legitimate_interest\n") ==
          "purpose `ads.x.y` has basis legitimate_interest, but inherits TCF purpose 4 from "
          "`ads.x`, which the TCF allows only with consent | give it basis consent, or declare it "
          "outside `ads.x`");
    // Reported once, where the mapping is, when the parent has the basis too.
    CHECK(codes_of(s + "purpose stats.x tcf 5\npurpose stats.x.y basis legitimate_interest\n") ==
          std::vector<std::string>{"E071 10:21"});
  }
  SECTION("E072 a TCF purpose listed twice") {
    CHECK(codes_of(s + "purpose ads.x tcf 3, 4, 3\n") == std::vector<std::string>{"E072 10:25"});
    CHECK(first_message(s + "purpose ads.x tcf 3, 3\n") ==
          "TCF purpose 3 is listed twice | list each TCF purpose once");
  }
  SECTION("E073 a vendor id outside 1-65535") {
    CHECK(codes_of(kBase + "signals tcf vendor 0\n") == std::vector<std::string>{"E073 9:20"});
    CHECK(codes_of(kBase + "signals tcf vendor 65536\n") == std::vector<std::string>{"E073 9:20"});
    CHECK(codes_of(kBase + "signals tcf vendor 65535\n").empty());
    CHECK(first_message(kBase + "signals tcf vendor 65536\n") ==
          "IAB vendor ids are 1 to 65535, not 65536 | write your vendor id from the IAB's Global "
          "Vendor List");
  }
  SECTION("E024 a second `signals` line") {
    CHECK(codes_of(s + "signals tcf publisher\n") == std::vector<std::string>{"E024 10:1"});
    CHECK(first_message(s + "signals tcf publisher\n") ==
          "the policy has a second `signals` line | the first is at line 9");
  }
}

TEST_CASE("signals: checker warnings", "[signals][checker]") {
  SECTION("W010 share rules, but no purpose marked gpc") {
    CHECK(codes_of(kBase + "allow r to share c for ads\n") ==
          std::vector<std::string>{"W010 9:12"});
    CHECK(first_message(kBase + "allow r to share c for ads\n") ==
          "this rule shares data, but no purpose is marked `gpc`: a Global Privacy Control "
          "signal would stop no sharing | mark the purposes of sale and sharing with `gpc`: "
          "`purpose partners.sale basis consent gpc`");
    // `use` may share; `*` names every purpose; the warning comes once.
    CHECK(codes_of(kBase + "allow r to use c for service\nallow r to share c for *\n") ==
          std::vector<std::string>{"W010 9:12"});
    // Any purpose marked gpc, reading, deny rules, and disclosures the law
    // requires (legal_obligation, vital_interest, public_task) do not warn.
    CHECK(codes_of(kBase + "allow r to share c for ads\npurpose stats.sale gpc\n").empty());
    CHECK(codes_of(kBase + "deny r to share c for ads\n").empty());
    CHECK(codes_of(kBase +
                   "purpose legal.tax basis legal_obligation\npurpose vital basis vital_interest\n"
                   "allow r to share c for legal, vital\n")
              .empty());
    CHECK(codes_of(kBase + "purpose legal.tax basis legal_obligation\npurpose legal.x basis "
                           "consent\nallow r to share c for legal\n") ==
          std::vector<std::string>{"W010 11:12"});
  }
  SECTION("W011 TCF mappings without a `signals tcf` line") {
    CHECK(codes_of(kBase + "purpose ads.x tcf 3\npurpose ads.y tcf 4\n") ==
          std::vector<std::string>{"W011 9:15"});
    CHECK(first_message(kBase + "purpose ads.x tcf 3\n") ==
          "purposes are mapped to TCF purposes, but the policy has no `signals tcf` line: no TC "
          "string can grant them | add `signals tcf vendor N` (N: your IAB vendor id) or `signals "
          "tcf publisher`");
    CHECK(codes_of(kBase + "purpose ads.x tcf 3\nsignals tcf publisher\n").empty());
    CHECK(codes_of(kBase + "purpose ads.x gpc\n").empty());
  }
  SECTION("warnings wait for a policy without errors") {
    CHECK(codes_of(kBase + "purpose ads.x tcf 12\nallow r to share c for ads\n") ==
          std::vector<std::string>{"E070 9:19"});
  }
}

TEST_CASE("signals: the formatter keeps marks in canonical form", "[signals][formatter]") {
  CHECK(fmt("signals   tcf\n vendor   755 purpose a,b basis consent tcf 3,4,  7 gpc\n"
            "purpose c   gpc purpose d tcf 1 signals tcf publisher") ==
        "signals tcf vendor 755\npurpose a, b basis consent tcf 3, 4, 7 gpc\npurpose c gpc\n"
        "purpose d tcf 1\nsignals tcf publisher\n");
  CHECK(fmt("purpose m basis consent  tcf 03  # personalised\n") ==
        "purpose m basis consent tcf 3  # personalised\n");
}

TEST_CASE("signals: the loyalty example with signals is clean and canonical",
          "[signals][examples]") {
  const std::string path = std::string(CUSTOS_SOURCE_DIR) + "/examples/signals/loyalty.custos";
  const auto text = custos::detail::read_file(path, custos::limits::kMaxPolicyBytes);
  REQUIRE(text.ok());
  const auto a = analyze("loyalty.custos", *text);
  for (const auto& d : a.diagnostics) UNSCOPED_INFO(d.to_string());
  CHECK(a.diagnostics.empty());
  REQUIRE(a.policy);
  CHECK(a.policy->signals.publisher);
  CHECK(fmt(*text) == *text);
}
