#include "engine/transform.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "base/time.hpp"
#include "base/utf8.hpp"
#include "crypto/crypto.hpp"

namespace custos::detail {
namespace {

// The text a transform works on: text as is, integers in decimal. Others
// have none (REFERENCE.md section 6): a bool or a real would give a
// pseudonym of `true` or of one spelling of a float, and a list or blob no
// text at all, so hash, mask and truncate make them NULL.
bool text_form(const Value& v, std::string* out) {
  switch (v.kind) {
    case Value::Kind::kText:
      *out = v.text;
      return true;
    case Value::Kind::kInt:
      *out = std::to_string(v.integer);
      return true;
    default:
      return false;
  }
}

Value year_of_value(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kInt:
      return Value::of_int(year_of(v.integer));
    case Value::Kind::kReal:
      if (!std::isfinite(v.real) || std::fabs(v.real) > 1e15) return Value::null();
      return Value::of_int(year_of(static_cast<Timestamp>(std::floor(v.real))));
    case Value::Kind::kText: {
      const auto t = parse_stored_time(v.text);
      return t ? Value::of_int(year_of(*t)) : Value::null();
    }
    default:
      return Value::null();
  }
}

Value round_value(const Value& v, std::int64_t n) {
  if (n < 1) return Value::null();
  switch (v.kind) {
    case Value::Kind::kInt: {
      // Down to a multiple of n, also for negative numbers.
      std::int64_t r = v.integer % n;
      if (r < 0) r += n;
      std::int64_t out;
      if (__builtin_sub_overflow(v.integer, r, &out)) return Value::null();
      return Value::of_int(out);
    }
    case Value::Kind::kReal: {
      if (!std::isfinite(v.real)) return Value::null();
      // v - fmod(v, n) is the multiple exactly whenever a double can hold it
      // (fmod is exact, and so is a subtraction whose result is
      // representable). floor(v / n) * n is not: the quotient and product
      // both round, and the result can exceed v (1e300 under round(43)) or
      // overflow to infinity (DBL_MAX under round(3)).
      const double nd = static_cast<double>(n);
      const double rest = std::fmod(v.real, nd);  // sign of v, |rest| < n
      double out = v.real - rest;
      if (rest < 0) out -= nd;
      // Where doubles are further apart than n, the multiple has no exact
      // form and the subtractions round: never above the input.
      if (out > v.real) out = v.real;
      return Value::of_real(out);
    }
    default:
      return Value::null();
  }
}

}  // namespace

namespace {

// Four bytes as eight lowercase hex characters, in one 64-bit word (byte k
// of the word is character k): the nibbles spread one per byte, then '0'
// added, and 39 more ('a' - '0' - 10) where a nibble is above 9.
std::uint64_t hex_word(const unsigned char* bytes) {
  std::uint64_t nibbles = 0;
  for (int i = 0; i < 4; ++i) {
    nibbles |= static_cast<std::uint64_t>(bytes[i] >> 4) << (16 * i);
    nibbles |= static_cast<std::uint64_t>(bytes[i] & 15) << (16 * i + 8);
  }
  const std::uint64_t above_nine = ((nibbles + 0x0606060606060606ull) >> 4) & 0x0101010101010101ull;
  return nibbles + 0x3030303030303030ull + above_nine * 39;
}

}  // namespace

void pseudonym_into(const crypto::HmacSha256& hasher, std::string_view text, char out[16]) {
  const auto mac = hasher.mac(text);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  // The first 8 bytes as 16 lowercase hex characters, written as one
  // 16-byte store: SQLite copies them next, 16 bytes at a time, and a load
  // spanning many byte stores waits for them to reach the cache.
  using Chars = std::uint64_t __attribute__((vector_size(16)));
  const Chars chars = {hex_word(mac.data()), hex_word(mac.data() + 4)};
  std::memcpy(out, &chars, sizeof chars);
#else
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int i = 0; i < 8; ++i) {
    out[2 * i] = kDigits[mac[static_cast<std::size_t>(i)] >> 4];
    out[2 * i + 1] = kDigits[mac[static_cast<std::size_t>(i)] & 15];
  }
#endif
}

std::string pseudonym(const crypto::HmacSha256& hasher, std::string_view text) {
  char out[16];
  pseudonym_into(hasher, text, out);
  return std::string(out, sizeof out);
}

std::string pseudonym(std::string_view key, std::string_view text) {
  return pseudonym(crypto::HmacSha256(key), text);
}

std::string mask_text(std::string_view text) {
  const auto at = text.rfind('@');
  if (at != std::string_view::npos && at > 0) {
    // An e-mail address: the first character of the local part stays.
    const std::size_t first = prefix_bytes(text, 1);
    return std::string(text.substr(0, first)) + "***@" + std::string(text.substr(at + 1));
  }
  const std::size_t length = count_code_points(text);
  if (length <= 4) return "****";
  const std::size_t keep_from = prefix_bytes(text, length - 4);
  return std::string(length - 4, '*') + std::string(text.substr(keep_from));
}

std::string truncate_text(std::string_view text, std::int64_t code_points) {
  if (code_points < 0) code_points = 0;
  return std::string(text.substr(0, prefix_bytes(text, static_cast<std::size_t>(code_points))));
}

Value apply_transform(const Transform& transform, const Value& value, std::string_view key) {
  if (transform.kind != Transform::Kind::kHash) return apply_transform(transform, value, nullptr);
  // No key, or one too short to be secret: fail closed.
  if (key.size() < kMinPseudonymKeyBytes) return Value::null();
  const crypto::HmacSha256 hasher(key);
  return apply_transform(transform, value, &hasher);
}

Value apply_transform(const Transform& transform, const Value& value,
                      const crypto::HmacSha256* hasher) {
  if (value.is_null()) return value;
  std::string text;
  switch (transform.kind) {
    case Transform::Kind::kPlain:
      return value;
    case Transform::Kind::kHash:
      // No key (or one too short to be secret): fail closed.
      if (!hasher || !text_form(value, &text)) return Value::null();
      return Value::of_text(pseudonym(*hasher, text));
    case Transform::Kind::kMask:
      if (!text_form(value, &text)) return Value::null();
      return Value::of_text(mask_text(text));
    case Transform::Kind::kTruncate:
      if (!text_form(value, &text)) return Value::null();
      return Value::of_text(truncate_text(text, transform.argument));
    case Transform::Kind::kYear:
      return year_of_value(value);
    case Transform::Kind::kRound:
      return round_value(value, transform.argument);
  }
  return Value::null();
}

}  // namespace custos::detail
