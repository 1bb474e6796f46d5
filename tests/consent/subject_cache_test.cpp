// The consent store's subject cache (src/consent/subject_cache.hpp) against
// a std::map doing the same operations: decimal ids and other text, looked
// up as text and by value, through growth and replacement.
#include "consent/subject_cache.hpp"

#include <map>
#include <random>
#include <string>

#include "catch.hpp"

using custos::detail::decimal_id;
using custos::detail::SubjectCache;

TEST_CASE("subject cache: what counts as a decimal id", "[consent][cache]") {
  CHECK(decimal_id("0") == 0u);
  CHECK(decimal_id("42") == 42u);
  CHECK(decimal_id("999999999999999999") == 999999999999999999ull);  // 18 digits
  CHECK_FALSE(decimal_id("1000000000000000000"));                    // 19: text
  CHECK_FALSE(decimal_id("042"));  // another spelling of 42: a different subject
  CHECK_FALSE(decimal_id(""));
  CHECK_FALSE(decimal_id("-1"));
  CHECK_FALSE(decimal_id("4 2"));
  CHECK_FALSE(decimal_id("c-42"));
}

TEST_CASE("subject cache: a decimal id and its look-alikes are different subjects",
          "[consent][cache]") {
  SubjectCache<int> cache;
  CHECK(cache.find("42") == nullptr);
  CHECK(cache.find_decimal(42) == nullptr);
  cache.put("42", 1);
  cache.put("042", 2);
  cache.put("c-42", 3);
  REQUIRE(cache.find("42") != nullptr);
  CHECK(*cache.find("42") == 1);
  CHECK(*cache.find_decimal(42) == 1);
  CHECK(*cache.find("042") == 2);
  CHECK(*cache.find("c-42") == 3);
  CHECK(cache.find_decimal(43) == nullptr);
  CHECK(cache.find("4") == nullptr);
  cache.put("42", 7);  // replaced, not added
  CHECK(*cache.find_decimal(42) == 7);
  CHECK(cache.size() == 3);
  cache.clear();
  CHECK(cache.size() == 0);
  CHECK(cache.find("42") == nullptr);
  CHECK(cache.find_decimal(42) == nullptr);
  cache.put("42", 8);  // usable again after clear()
  CHECK(*cache.find("42") == 8);
}

TEST_CASE("subject cache: agrees with a map through growth, strides and replacements",
          "[consent][cache]") {
  SubjectCache<long> cache;
  std::map<std::string, long> reference;
  std::mt19937_64 rng(11);
  const auto put = [&](const std::string& key, long value) {
    cache.put(key, value);
    reference[key] = value;
  };
  long n = 0;
  for (long id = 1; id <= 5000; ++id) put(std::to_string(id), ++n);      // a table's ids, in order
  for (long k = 1; k <= 3000; ++k) put(std::to_string(k * 65536), ++n);  // a stride of 2^16
  for (long k = 1; k <= 3000; ++k) put(std::to_string(k * 2097143), ++n);  // of one table size
  for (int k = 0; k < 3000; ++k) put("c-" + std::to_string(rng() % 100000), ++n);  // text
  for (int k = 0; k < 2000; ++k) put(std::to_string(rng() % 20000), ++n);          // some replaced
  REQUIRE(cache.size() == reference.size());
  for (const auto& [key, value] : reference) {
    const long* found = cache.find(key);
    REQUIRE(found != nullptr);
    CHECK(*found == value);
    if (const auto id = decimal_id(key)) {
      REQUIRE(cache.find_decimal(*id) != nullptr);
      CHECK(*cache.find_decimal(*id) == value);
    }
  }
  for (int k = 0; k < 2000; ++k) {  // absent ones stay absent
    const std::string key = "x" + std::to_string(rng());
    CHECK(cache.find(key) == nullptr);
    const std::uint64_t id = 200000000 + rng() % 1000000;
    if (reference.count(std::to_string(id)) == 0) CHECK(cache.find_decimal(id) == nullptr);
  }
}
