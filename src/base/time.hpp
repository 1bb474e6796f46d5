// Times as Custos understands them: UTC seconds since the Unix epoch.
//
// The language never does calendar arithmetic (a month is 30 days, a year 365),
// so a time is a plain integer. Parsing accepts RFC 3339 and, for stored data,
// SQLite's own text forms.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace custos::detail {

using UnixSeconds = std::int64_t;

// The times Custos reads and writes: 0001-01-01T00:00:00Z to
// 9999-12-31T23:59:59Z, the years RFC 3339's four digits can spell. Parsing
// refuses a time outside them (a leap second or an offset can push one past a
// bound), so every time Custos prints, it can read back. format_rfc3339
// prints a time outside them (which no parse gives, but an integer may hold)
// as the nearer bound, never with a year of five digits or a negative one.
inline constexpr UnixSeconds kMinTime = -62135596800;  // 0001-01-01T00:00:00Z
inline constexpr UnixSeconds kMaxTime = 253402300799;  // 9999-12-31T23:59:59Z

// RFC 3339 only: `2026-11-28T12:00:00Z`, `...T12:00:00.250+01:00`. Fractions
// of a second are accepted and dropped (Custos decides at second precision).
// A result outside kMinTime..kMaxTime is refused.
std::optional<UnixSeconds> parse_rfc3339(std::string_view text);

// What a database column may hold: RFC 3339, `YYYY-MM-DD HH:MM:SS` (SQLite's
// datetime(), UTC, optional fraction) or `YYYY-MM-DD` (midnight UTC).
std::optional<UnixSeconds> parse_stored_time(std::string_view text);

// The system clock, UTC, in whole seconds: the default clock of the engine
// and of the CLI.
UnixSeconds now_unix();

// `2026-11-28T12:00:00Z`.
std::string format_rfc3339(UnixSeconds t);

// Days since 1970-01-01 of a proleptic Gregorian date, and back.
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day);
void civil_from_days(std::int64_t days, std::int64_t* year, unsigned* month, unsigned* day);

// The UTC calendar year of a time.
std::int64_t year_of(UnixSeconds t);

}  // namespace custos::detail
