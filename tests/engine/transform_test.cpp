#include "engine/transform.hpp"

#include <limits>

#include "catch.hpp"
#include "crypto/crypto.hpp"

using custos::Transform;
using custos::Value;
using custos::detail::apply_transform;

namespace {

Transform t(Transform::Kind kind, std::int64_t argument = 0) {
  return Transform{kind, argument};
}
const std::string kKey = "0123456789abcdef0123456789abcdef";

}  // namespace

TEST_CASE("hash: first 16 hex chars of HMAC-SHA256 over the UTF-8 text", "[transform]") {
  // HMAC-SHA256 test vector, RFC 4231 case 2: key "Jefe".
  const auto mac = custos::crypto::hmac_sha256("Jefe", "what do ya want for nothing?");
  CHECK(custos::crypto::to_hex(mac.data(), mac.size()) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(custos::detail::pseudonym("Jefe", "what do ya want for nothing?") == "5bdcc146bf60754e");
  // Integers hash as their decimal text: same pseudonym as the text "42".
  CHECK(apply_transform(t(Transform::Kind::kHash), Value::of_int(42), kKey) ==
        apply_transform(t(Transform::Kind::kHash), Value::of_text("42"), kKey));
  // Same key, same pseudonym; another key, another.
  CHECK(apply_transform(t(Transform::Kind::kHash), Value::of_text("a"), kKey) ==
        apply_transform(t(Transform::Kind::kHash), Value::of_text("a"), kKey));
  CHECK(apply_transform(t(Transform::Kind::kHash), Value::of_text("a"), kKey) !=
        apply_transform(t(Transform::Kind::kHash), Value::of_text("a"), kKey + "x"));
  // Empty text still hashes; no key fails closed.
  CHECK(apply_transform(t(Transform::Kind::kHash), Value::of_text(""), kKey).text.size() == 16);
  CHECK(apply_transform(t(Transform::Kind::kHash), Value::of_text("a"), "").is_null());
  CHECK(apply_transform(t(Transform::Kind::kHash), Value::of_text("a"), "short key").is_null());
  // Bools and reals have no text form: `hash(true)` would be a constant.
  CHECK(apply_transform(t(Transform::Kind::kHash), Value::of_bool(true), kKey).is_null());
  CHECK(apply_transform(t(Transform::Kind::kHash), Value::of_bool(false), kKey).is_null());
  CHECK(apply_transform(t(Transform::Kind::kHash), Value::of_real(42.0), kKey).is_null());
  CHECK(apply_transform(t(Transform::Kind::kHash), Value::other(), kKey).is_null());
}

TEST_CASE("mask: e-mail keeps its first character and domain, other text its last 4",
          "[transform]") {
  const auto mask = [](Value v) { return apply_transform(t(Transform::Kind::kMask), v, ""); };
  CHECK(mask(Value::of_text("luis.rocha@example.com")) == Value::of_text("l***@example.com"));
  CHECK(mask(Value::of_text("\xC3\xA9lodie@x.fr")) == Value::of_text("\xC3\xA9***@x.fr"));
  CHECK(mask(Value::of_text("a@b@c.org")) == Value::of_text("a***@c.org"));       // the last @
  CHECK(mask(Value::of_text("@example.com")) == Value::of_text("********.com"));  // no local part
  CHECK(mask(Value::of_text("+55 12 3923-5555")) == Value::of_text("************5555"));
  CHECK(mask(Value::of_text("1234")) == Value::of_text("****"));
  CHECK(mask(Value::of_text("")) == Value::of_text("****"));
  CHECK(mask(Value::of_text("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9")) ==
        Value::of_text("*\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"));  // code points, not bytes
  CHECK(mask(Value::of_int(123456)) == Value::of_text("**3456"));
  CHECK(mask(Value::null()).is_null());
  // Only text and integers have a text form (REFERENCE.md section 6).
  CHECK(mask(Value::of_bool(true)).is_null());
  CHECK(mask(Value::of_real(12.5)).is_null());
  CHECK(mask(Value::of_list({Value::of_text("a@b.c")})).is_null());
}

TEST_CASE("truncate counts code points", "[transform]") {
  const auto trunc = [](Value v, int n) {
    return apply_transform(t(Transform::Kind::kTruncate, n), v, "");
  };
  CHECK(trunc(Value::of_text("14020-000"), 3) == Value::of_text("140"));
  CHECK(trunc(Value::of_text("S\xC3\xA3o Paulo"), 2) == Value::of_text("S\xC3\xA3"));
  CHECK(trunc(Value::of_text("\xF0\x9F\x98\x80\xF0\x9F\x98\x80"), 1) ==
        Value::of_text("\xF0\x9F\x98\x80"));
  CHECK(trunc(Value::of_text("ab"), 5) == Value::of_text("ab"));
  CHECK(trunc(Value::of_text(""), 3) == Value::of_text(""));
  CHECK(trunc(Value::of_int(98052), 2) == Value::of_text("98"));
  CHECK(trunc(Value::null(), 2).is_null());
  CHECK(trunc(Value::of_bool(false), 2).is_null());
  CHECK(trunc(Value::of_real(98052.5), 2).is_null());
}

TEST_CASE("year reads RFC 3339, SQLite dates and unix seconds", "[transform]") {
  const auto year = [](Value v) { return apply_transform(t(Transform::Kind::kYear), v, ""); };
  CHECK(year(Value::of_text("1962-02-18 00:00:00")) == Value::of_int(1962));
  CHECK(year(Value::of_text("1962-02-18")) == Value::of_int(1962));
  CHECK(year(Value::of_text("2026-01-01T00:30:00+01:00")) == Value::of_int(2025));  // UTC
  CHECK(year(Value::of_int(1795867200)) == Value::of_int(2026));
  CHECK(year(Value::of_int(-1)) == Value::of_int(1969));
  CHECK(year(Value::of_text("18/02/1962")).is_null());  // malformed: NULL, never the original
  CHECK(year(Value::of_text("1962-02-30")).is_null());
  CHECK(year(Value::of_text("")).is_null());
  CHECK(year(Value::null()).is_null());
}

TEST_CASE("round never exceeds its input, and is exact where a double can hold the multiple",
          "[transform]") {
  const auto round = [](double v, int n) {
    const Value out = apply_transform(t(Transform::Kind::kRound, n), Value::of_real(v), "");
    REQUIRE(out.kind == Value::Kind::kReal);
    return out.real;
  };
  // floor(v / n) * n gave 1.0000000000000002e300 for these two, and
  // infinity for the largest double under round(3).
  CHECK(round(1e300, 43) == 1e300);
  CHECK(round(5.277584937779512e150, 10) == 5.277584937779512e150);
  CHECK(round(std::numeric_limits<double>::max(), 3) == std::numeric_limits<double>::max());
  CHECK(round(-1e300, 43) == -1e300);
  CHECK(round(1e300, 10) == 1e300);
  // Exact multiples, where a double holds them.
  CHECK(round(123.75, 10) == 120.0);
  CHECK(round(-123.75, 10) == -130.0);
  CHECK(round(-0.1, 10) == -10.0);
  CHECK(round(9007199254740991.0, 10) == 9007199254740990.0);          // 2^53 - 1
  CHECK(round(1152921504606846976.0, 1024) == 1152921504606846976.0);  // 2^60
  // 2^60 - 976 = 1152921504606846000 has no double: the nearest one,
  // 2^60 - 1024, still below the input.
  CHECK(round(1152921504606846976.0, 1000) == 1152921504606845952.0);
  CHECK(round(-1152921504606846976.0, 1000) == -1152921504606846976.0);
  CHECK(round(0.0, 7) == 0.0);
}

TEST_CASE("round rounds down to a multiple, keeping the type", "[transform]") {
  const auto round = [](Value v, int n) {
    return apply_transform(t(Transform::Kind::kRound, n), v, "");
  };
  CHECK(round(Value::of_int(1234), 10) == Value::of_int(1230));
  CHECK(round(Value::of_int(-7), 5) == Value::of_int(-10));
  CHECK(round(Value::of_int(5), 1) == Value::of_int(5));
  CHECK(round(Value::of_real(13.86), 5) == Value::of_real(10.0));
  CHECK(round(Value::of_real(-0.5), 1) == Value::of_real(-1.0));
  CHECK(round(Value::of_int(INT64_MIN), 10).is_null());  // would overflow
  CHECK(round(Value::of_text("12"), 10).is_null());
  CHECK(round(Value::null(), 10).is_null());
  CHECK(round(Value::of_bool(true), 10).is_null());
  CHECK(round(Value::of_real(std::numeric_limits<double>::infinity()), 10).is_null());
}

TEST_CASE("plain returns the value unchanged", "[transform]") {
  CHECK(apply_transform(Transform{}, Value::of_text("x"), "") == Value::of_text("x"));
  CHECK(Transform{Transform::Kind::kTruncate, 3}.to_string() == "truncate(3)");
  CHECK(Transform{Transform::Kind::kRound, 10}.to_string() == "round(10)");
}
