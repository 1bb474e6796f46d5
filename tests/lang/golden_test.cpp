// Golden files: tests/golden/invalid/NAME.custos must produce exactly the
// diagnostics in NAME.expected; tests/golden/fmt/NAME.custos must format to
// NAME.expected, which must itself be a fixed point. Files named db_* are
// checked against data/Chinook_Sqlite.sqlite's schema.
#include <filesystem>

#include "base/file.hpp"
#include "catch.hpp"
#include "cli/schema.hpp"
#include "custos/limits.hpp"
#include "lang/checker.hpp"
#include "lang/formatter.hpp"
#include "policy/assertions.hpp"

namespace fs = std::filesystem;
using namespace custos::lang;

namespace {

std::string slurp(const fs::path& p) {
  auto text = custos::detail::read_file(p.string(), custos::limits::kMaxPolicyBytes);
  REQUIRE(text.ok());
  return std::move(*text);
}

std::vector<fs::path> cases(const char* folder) {
  std::vector<fs::path> out;
  for (const auto& e :
       fs::directory_iterator(fs::path(CUSTOS_SOURCE_DIR) / "tests/golden" / folder)) {
    if (e.path().extension() == ".custos") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("golden: invalid policies give exactly the expected diagnostics", "[golden]") {
  auto schema =
      custos::cli::load_schema(std::string(CUSTOS_SOURCE_DIR) + "/data/Chinook_Sqlite.sqlite");
  REQUIRE(schema.ok());
  auto northwind = custos::cli::load_schema(std::string(CUSTOS_SOURCE_DIR) + "/data/northwind.db");
  REQUIRE(northwind.ok());
  const auto files = cases("invalid");
  REQUIRE(files.size() >= 30);
  for (const auto& path : files) {
    const std::string name = path.filename().string();
    INFO(name);
    const bool with_db = name.rfind("db_", 0) == 0;
    const bool with_northwind = name.rfind("nwdb_", 0) == 0;
    const auto a = custos::detail::analyze_policy(name, slurp(path),
                                                  with_db          ? &*schema
                                                  : with_northwind ? &*northwind
                                                                   : nullptr);
    std::string rendered;
    for (const auto& d : a.diagnostics) rendered += d.to_string();
    auto expected_path = path;
    expected_path.replace_extension(".expected");
    REQUIRE(fs::exists(expected_path));
    CHECK(rendered == slurp(expected_path));
    CHECK_FALSE(a.diagnostics.empty());
  }
}

TEST_CASE("golden: formatter output", "[golden]") {
  const auto files = cases("fmt");
  REQUIRE(files.size() >= 10);
  for (const auto& path : files) {
    INFO(path.filename().string());
    auto expected_path = path;
    expected_path.replace_extension(".expected");
    REQUIRE(fs::exists(expected_path));
    const std::string expected = slurp(expected_path);
    const auto format = [](const std::string& text) {
      SourceFile file("t.custos", text);
      DiagnosticSink sink(file);
      const auto parsed = parse(file, sink);
      REQUIRE_FALSE(sink.has_errors());
      return format_policy(file, parsed);
    };
    CHECK(format(slurp(path)) == expected);
    CHECK(format(expected) == expected);
  }
}
