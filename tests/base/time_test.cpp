#include "base/time.hpp"

#include "catch.hpp"

using namespace custos::detail;

TEST_CASE("RFC 3339 times parse to UTC seconds", "[time]") {
  CHECK(parse_rfc3339("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_rfc3339("2026-11-28T12:00:00Z") == 1795867200);
  CHECK(parse_rfc3339("2026-11-28T13:00:00+01:00") == 1795867200);
  CHECK(parse_rfc3339("2026-11-28T11:30:00-00:30") == 1795867200);
  CHECK(parse_rfc3339("2026-11-28t12:00:00.999z") == 1795867200);
  CHECK(parse_rfc3339("2024-02-29T00:00:00Z").has_value());
  CHECK(parse_rfc3339("1969-12-31T23:59:59Z") == -1);
}

TEST_CASE("malformed times are rejected", "[time]") {
  for (const char* bad : {"", "2026-11-28", "2026-11-28T12:00:00", "2026-13-01T00:00:00Z",
                          "2025-02-29T00:00:00Z", "2026-11-28T24:00:00Z", "2026-11-28T12:00Z",
                          "2026-11-28T12:00:00Zjunk", "2026-11-28T12:00:00.Z", "26-11-28T12:00:00Z",
                          "2026-11-28T12:00:00+0100", "2026-04-31T00:00:00Z"}) {
    INFO(bad);
    CHECK_FALSE(parse_rfc3339(bad).has_value());
  }
}

TEST_CASE("stored times also accept SQLite's forms", "[time]") {
  CHECK(parse_stored_time("2026-11-28 12:00:00") == 1795867200);
  CHECK(parse_stored_time("2026-11-28") == 1795824000);
  CHECK(parse_stored_time("2026-11-28T12:00:00Z") == 1795867200);
  CHECK_FALSE(parse_stored_time("2026-11-28 12:00").has_value());
  CHECK_FALSE(parse_stored_time("28/11/2026").has_value());
}

TEST_CASE("formatting and calendar helpers round-trip", "[time]") {
  CHECK(format_rfc3339(1795867200) == "2026-11-28T12:00:00Z");
  CHECK(format_rfc3339(-1) == "1969-12-31T23:59:59Z");
  CHECK(year_of(1795867200) == 2026);
  CHECK(year_of(-1) == 1969);
  for (std::int64_t days : {-800000, -1, 0, 59, 60, 11016, 20000, 2932896}) {
    std::int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    CHECK(days_from_civil(y, m, d) == days);
  }
}

TEST_CASE("times stay within the years 0001 to 9999, so every printed time reads back", "[time]") {
  CHECK(parse_rfc3339("0001-01-01T00:00:00Z") == kMinTime);
  CHECK(parse_rfc3339("9999-12-31T23:59:59Z") == kMaxTime);
  CHECK(parse_rfc3339("9999-12-31T23:59:59.999Z") == kMaxTime);
  CHECK(parse_rfc3339("0001-01-01T01:00:00+01:00") == kMinTime);
  CHECK(parse_rfc3339("9999-12-31T22:59:59-01:00") == kMaxTime);
  // A leap second or an offset past a bound: a time of year 0 or 10000.
  for (const char* outside :
       {"9999-12-31T23:59:60Z", "9999-12-31T23:00:00-01:00", "0001-01-01T00:59:59+01:00",
        "0000-12-31T23:59:59Z", "0000-01-01T00:00:00Z", "0000-02-29T00:00:00Z"}) {
    INFO(outside);
    CHECK_FALSE(parse_rfc3339(outside).has_value());
    CHECK_FALSE(parse_stored_time(outside).has_value());
  }
  CHECK_FALSE(parse_stored_time("0000-12-31").has_value());
  CHECK_FALSE(parse_stored_time("0000-12-31 23:59:59").has_value());
  CHECK(parse_stored_time("0001-01-01") == kMinTime);
  CHECK(parse_stored_time("9999-12-31 23:59:59") == kMaxTime);

  CHECK(format_rfc3339(kMinTime) == "0001-01-01T00:00:00Z");
  CHECK(format_rfc3339(kMaxTime) == "9999-12-31T23:59:59Z");
  // Outside the range, the nearer bound: never `10000-...` nor `-0001-...`.
  CHECK(format_rfc3339(kMaxTime + 1) == "9999-12-31T23:59:59Z");
  CHECK(format_rfc3339(INT64_MAX) == "9999-12-31T23:59:59Z");
  CHECK(format_rfc3339(kMinTime - 1) == "0001-01-01T00:00:00Z");
  CHECK(format_rfc3339(INT64_MIN) == "0001-01-01T00:00:00Z");
  for (std::int64_t t : {kMinTime, kMinTime + 86399, std::int64_t{0}, kMaxTime - 86400, kMaxTime}) {
    INFO(t);
    CHECK(parse_rfc3339(format_rfc3339(t)) == t);
  }
}
