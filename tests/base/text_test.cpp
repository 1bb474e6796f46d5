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

TEST_CASE("html_escape: the five characters HTML gives meaning to, and nothing else") {
  CHECK(custos::detail::html_escape("<a href=\"x\">Tom & Jerry's</a> é") ==
        "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt; é");
  CHECK(custos::detail::html_escape("") == "");
}

TEST_CASE("append_json_string: escapes as nlohmann's dump does; invalid bytes become U+FFFD") {
  std::string out;
  custos::detail::append_json_string(out, std::string("a\"\\\b\f\n\r\t\x01 é/", 13));
  CHECK(out == "\"a\\\"\\\\\\b\\f\\n\\r\\t\\u0001 é/\"");
  out.clear();
  custos::detail::append_json_string(out, "x\xFFy");
  CHECK(out == "\"x\xEF\xBF\xBDy\"");
}
