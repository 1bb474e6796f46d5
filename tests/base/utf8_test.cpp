#include "base/utf8.hpp"

#include "catch.hpp"

using namespace custos::detail;

TEST_CASE("decode_utf8 accepts every encoding length and rejects malformed bytes", "[utf8]") {
  SECTION("one to four bytes") {
    const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";  // a é € 😀
    std::size_t pos = 0;
    char32_t cp = 0;
    REQUIRE(decode_utf8(text, pos, &cp));
    CHECK(cp == U'a');
    REQUIRE(decode_utf8(text, pos, &cp));
    CHECK(cp == 0xE9);
    REQUIRE(decode_utf8(text, pos, &cp));
    CHECK(cp == 0x20AC);
    REQUIRE(decode_utf8(text, pos, &cp));
    CHECK(cp == 0x1F600);
    CHECK(pos == text.size());
  }
  SECTION("malformed sequences advance by one byte") {
    for (const std::string& bad :
         {std::string("\xC0\xAF"), std::string("\xED\xA0\x80"), std::string("\xF4\x90\x80\x80"),
          std::string("\xE2\x82"), std::string("\x80"), std::string("\xFF")}) {
      std::size_t pos = 0;
      char32_t cp;
      CHECK_FALSE(decode_utf8(bad, pos, &cp));
      CHECK(pos == 1);
      CHECK_FALSE(is_valid_utf8(bad));
    }
  }
}

TEST_CASE("code points, not bytes", "[utf8]") {
  CHECK(count_code_points("") == 0);
  CHECK(count_code_points("h\xC3\xA9llo") == 5);
  CHECK(prefix_bytes("h\xC3\xA9llo", 2) == 3);
  CHECK(prefix_bytes("ab", 10) == 2);
  std::string out;
  append_utf8(out, 0x1F600);
  append_utf8(out, 0xE9);
  CHECK(out == "\xF0\x9F\x98\x80\xC3\xA9");
}

TEST_CASE("utf8: display width counts terminal columns", "[utf8]") {
  using custos::detail::display_width;
  CHECK(display_width("Bruno") == 5);
  CHECK(display_width("Chlo\xc3\xa9") == 5);              // precomposed é
  CHECK(display_width("Chloe\xcc\x81") == 5);             // e + combining acute
  CHECK(display_width("\xe6\x9d\xb1\xe4\xba\xac") == 4);  // 東京: wide
  CHECK(display_width("a\xe2\x80\x8b"
                      "b") == 2);                 // zero-width space
  CHECK(display_width("\xf0\x9f\x98\x80") == 2);  // an emoji
  CHECK(display_width("\xff") == 1);              // an invalid byte
  CHECK(display_width("") == 0);
}
