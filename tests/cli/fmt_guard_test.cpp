// The guard of `custos fmt`: the formatter's output must say what its input
// says. Every canonical form passes; any lost or changed token or comment is
// named.
#include "cli/fmt_guard.hpp"

#include <filesystem>

#include "base/file.hpp"
#include "catch.hpp"
#include "custos/limits.hpp"
#include "lang/formatter.hpp"
#include "lang/parser.hpp"

namespace fs = std::filesystem;
using namespace custos;

namespace {

// "" when `after` says what `before` says.
std::string difference(const std::string& before, const std::string& after) {
  const lang::SourceFile a("in.custos", before), b("out.custos", after);
  lang::DiagnosticSink sa(a), sb(b);
  const auto la = lang::lex(a, sa);
  const auto lb = lang::lex(b, sb);
  REQUIRE_FALSE(sa.has_errors());
  REQUIRE_FALSE(sb.has_errors());
  return cli::content_difference(a, la, b, lb);
}

std::string format(const std::string& text) {
  const lang::SourceFile file("in.custos", text);
  lang::DiagnosticSink sink(file);
  const auto parsed = lang::parse(file, sink);
  REQUIRE_FALSE(sink.has_errors());
  return lang::format_policy(file, parsed);
}

}  // namespace

TEST_CASE("fmt guard: every canonical form says what its input says", "[fmt][cli]") {
  std::vector<fs::path> inputs;
  for (const char* folder : {"tests/golden/fmt", "policy-lang/examples", "tests/engine/policies"}) {
    for (const auto& e : fs::directory_iterator(fs::path(CUSTOS_SOURCE_DIR) / folder)) {
      if (e.path().extension() == ".custos") inputs.push_back(e.path());
    }
  }
  REQUIRE(inputs.size() >= 20);
  for (const auto& path : inputs) {
    INFO(path.string());
    const auto text = detail::read_file(path.string(), limits::kMaxPolicyBytes);
    REQUIRE(text.ok());
    CHECK(difference(*text, format(*text)).empty());
  }
}

TEST_CASE("fmt guard: the spellings the formatter may choose are the same content", "[fmt][cli]") {
  CHECK(difference("policy \"a\\u{62}\" version 007", "policy \"ab\" version 7").empty());
  CHECK(difference("allow a to read c for p when ((x.y)) and (((x.z)))",
                   "allow a to read c for p when (x.y) and (x.z)")
            .empty());
  CHECK(difference("table \"Customer\" { subject \"Customer\" . \"Id\"\n \"Email\" : c }",
                   "table Customer { subject Customer.Id\n Email : c }")
            .empty());
  CHECK(difference("# note   \n", "# note\n").empty());
  // Quotes stay where a bare name would be a keyword or no identifier.
  CHECK(difference("table \"public\" public", "table \"public\" public").empty());
  CHECK_FALSE(difference("table \"public\" public", "table public public").empty());
  // Outside a table binding a string is never a name.
  CHECK(difference("allow a to read c for p when x.y == \"ab\"",
                   "allow a to read c for p when x.y == ab") ==
        "token 11 differs: string \"ab\" (input line 1) became name `ab` (output line 1)");
}

TEST_CASE("fmt guard: lost or changed content is named", "[fmt][cli]") {
  const std::string in =
      "policy \"t\" version 1\n"
      "allow a to read c for p when x.y >= 3  # adults\n"
      "deny * to use c for p\n";
  CHECK(difference(in, in).empty());
  CHECK(
      difference(in, "policy \"t\" version 1\nallow a to read c for p when x.y >= 3  # adults\n") ==
      "token 16 is missing: `deny` (input line 3)");
  CHECK(difference(in,
                   "policy \"t\" version 1\nallow a to read c for p when x.y == 3  # adults\n"
                   "deny * to use c for p\n") ==
        "token 14 differs: `>=` (input line 2) became `==` (output line 2)");
  CHECK(difference(in,
                   "policy \"t\" version 1\nallow a to read c for p when x.y >= 30  # adults\n"
                   "deny * to use c for p\n") ==
        "token 15 differs: integer 3 (input line 2) became integer 30 (output line 2)");
  CHECK(difference(in,
                   "policy \"t\" version 1\nallow a to read c for p when x.y >= 3\n"
                   "deny * to use c for p\n") == "comment 1 is missing: # adults (input line 2)");
  CHECK(difference(in, in + "retain c for 1y\n") == "token 23 was added: `retain` (output line 4)");
}
