#include "base/text.hpp"

#include "catch.hpp"

using namespace custos::detail;

TEST_CASE("edit distance with a limit", "[text]") {
  CHECK(edit_distance("kitten", "sitting", 10) == 3);
  CHECK(edit_distance("", "abc", 10) == 3);
  CHECK(edit_distance("same", "same", 0) == 0);
  CHECK(edit_distance("abcdef", "uvwxyz", 2) == 3);  // gave up past the limit
}

TEST_CASE("did-you-mean picks a close, different name", "[text]") {
  const std::vector<std::string> names{"contact.email", "contact.phone", "identity.name"};
  CHECK(closest_match("contact.fone", names) == "contact.phone");
  CHECK(closest_match("contact.emial", names) == "contact.email");
  CHECK(closest_match("billing", names).empty());
  CHECK(closest_match("contact.email", names).empty());  // exact: nothing to suggest
}

TEST_CASE("JSON nesting is measured from the text alone", "[text]") {
  CHECK(json_nesting_depth("") == 0);
  CHECK(json_nesting_depth("42") == 0);
  CHECK(json_nesting_depth("[]") == 1);
  CHECK(json_nesting_depth(R"({"a": [1, {"b": []}], "c": {}})") == 4);
  // Brackets inside strings, escaped quotes included, do not count.
  CHECK(json_nesting_depth(R"({"a": "[[[{{{", "b\"[[": "\\"})") == 1);
  CHECK(json_nesting_depth(std::string(100000, '[') + std::string(100000, ']')) == 100000);
  CHECK(json_nesting_depth(std::string(100000, '{')) == 100000);  // need not be valid JSON
}
