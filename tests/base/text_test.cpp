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
