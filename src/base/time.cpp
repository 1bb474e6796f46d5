#include "base/time.hpp"

#include <chrono>
#include <cstdio>

namespace custos::detail {
namespace {

// Reads exactly `n` ASCII digits at text[pos].
bool read_digits(std::string_view text, std::size_t& pos, int n, int* out) {
  if (pos + n > text.size()) return false;
  int value = 0;
  for (int i = 0; i < n; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  pos += n;
  *out = value;
  return true;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos < text.size() && text[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

bool is_leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Parses YYYY-MM-DD at pos; returns days since the epoch.
std::optional<std::int64_t> read_date(std::string_view text, std::size_t& pos) {
  int y, m, d;
  if (!read_digits(text, pos, 4, &y) || !expect(text, pos, '-') || !read_digits(text, pos, 2, &m) ||
      !expect(text, pos, '-') || !read_digits(text, pos, 2, &d)) {
    return std::nullopt;
  }
  if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return std::nullopt;
  return days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

// Parses HH:MM:SS with an optional fraction; returns seconds into the day.
std::optional<std::int64_t> read_clock(std::string_view text, std::size_t& pos) {
  int h, mi, s;
  if (!read_digits(text, pos, 2, &h) || !expect(text, pos, ':') ||
      !read_digits(text, pos, 2, &mi) || !expect(text, pos, ':') ||
      !read_digits(text, pos, 2, &s)) {
    return std::nullopt;
  }
  // 60 is a leap second, which RFC 3339 allows; it reads as the next second.
  if (h > 23 || mi > 59 || s > 60) return std::nullopt;
  if (expect(text, pos, '.')) {
    const std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == start) return std::nullopt;
  }
  return std::int64_t{h} * 3600 + mi * 60 + s;
}

// The time, when it is one Custos can print and read back.
std::optional<UnixSeconds> in_range(UnixSeconds t) {
  if (t < kMinTime || t > kMaxTime) return std::nullopt;
  return t;
}

}  // namespace

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  // Howard Hinnant's algorithm: exact for the whole proleptic Gregorian range.
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t* year, unsigned* month, unsigned* day) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *day = doy - (153 * mp + 2) / 5 + 1;
  *month = mp < 10 ? mp + 3 : mp - 9;
  *year = y + (*month <= 2);
}

std::optional<UnixSeconds> parse_rfc3339(std::string_view text) {
  std::size_t pos = 0;
  const auto days = read_date(text, pos);
  if (!days) return std::nullopt;
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't')) return std::nullopt;
  ++pos;
  const auto clock = read_clock(text, pos);
  if (!clock) return std::nullopt;
  std::int64_t offset = 0;
  if (expect(text, pos, 'Z') || expect(text, pos, 'z')) {
    offset = 0;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '+' ? 1 : -1;
    ++pos;
    int oh, om;
    if (!read_digits(text, pos, 2, &oh) || !expect(text, pos, ':') ||
        !read_digits(text, pos, 2, &om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset = sign * (std::int64_t{oh} * 3600 + om * 60);
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  return in_range(*days * 86400 + *clock - offset);
}

std::optional<UnixSeconds> parse_stored_time(std::string_view text) {
  if (auto t = parse_rfc3339(text)) return t;
  std::size_t pos = 0;
  const auto days = read_date(text, pos);
  if (!days) return std::nullopt;
  if (pos == text.size()) return in_range(*days * 86400);
  if (!expect(text, pos, ' ')) return std::nullopt;
  const auto clock = read_clock(text, pos);
  if (!clock || pos != text.size()) return std::nullopt;
  return in_range(*days * 86400 + *clock);
}

std::string format_rfc3339(UnixSeconds t) {
  t = t < kMinTime ? kMinTime : t > kMaxTime ? kMaxTime : t;
  std::int64_t days = t / 86400;
  std::int64_t secs = t % 86400;
  if (secs < 0) secs += 86400, --days;
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  return buf;
}

std::int64_t year_of(UnixSeconds t) {
  std::int64_t days = t / 86400;
  if (t % 86400 < 0) --days;
  std::int64_t y;
  unsigned m, d;
  civil_from_days(days, &y, &m, &d);
  return y;
}

UnixSeconds now_unix() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace custos::detail
