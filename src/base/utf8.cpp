#include "base/utf8.hpp"

#include <iterator>

namespace custos::detail {

bool decode_utf8(std::string_view text, std::size_t& pos, char32_t* cp) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char b0 = byte(pos);
  if (b0 < 0x80) {
    *cp = b0;
    ++pos;
    return true;
  }
  std::size_t len;
  char32_t value;
  char32_t min;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, value = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, value = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, value = b0 & 0x07, min = 0x10000;
  } else {
    ++pos;
    return false;
  }
  if (pos + len > text.size()) {
    ++pos;
    return false;
  }
  for (std::size_t i = 1; i < len; ++i) {
    const unsigned char b = byte(pos + i);
    if ((b & 0xC0) != 0x80) {
      ++pos;
      return false;
    }
    value = (value << 6) | (b & 0x3F);
  }
  if (value < min || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
    ++pos;
    return false;
  }
  *cp = value;
  pos += len;
  return true;
}

bool is_valid_utf8(std::string_view text) {
  std::size_t pos = 0;
  char32_t cp;
  while (pos < text.size()) {
    if (!decode_utf8(text, pos, &cp)) return false;
  }
  return true;
}

std::size_t count_code_points(std::string_view text) {
  std::size_t pos = 0, n = 0;
  char32_t cp;
  while (pos < text.size()) {
    decode_utf8(text, pos, &cp);
    ++n;
  }
  return n;
}

namespace {

struct Range {
  char32_t first, last;
};

bool in(const Range* ranges, std::size_t n, char32_t cp) {
  for (std::size_t i = 0; i < n; ++i) {
    if (cp >= ranges[i].first && cp <= ranges[i].last) return true;
  }
  return false;
}

// Unicode's combining diacritics, zero-width spaces and joiners, variation
// selectors.
constexpr Range kZeroWidth[] = {
    {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x0610, 0x061A}, {0x064B, 0x065F},
    {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x200B, 0x200F}, {0x202A, 0x202E}, {0x2060, 0x2064},
    {0x20D0, 0x20FF}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF}, {0xE0100, 0xE01EF}};
// East Asian Wide and Fullwidth blocks, and the emoji planes.
constexpr Range kWide[] = {{0x1100, 0x115F},   {0x2E80, 0x303E},   {0x3041, 0x33FF},
                           {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},
                           {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},   {0xFE30, 0xFE4F},
                           {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},   {0x1F300, 0x1F64F},
                           {0x1F900, 0x1F9FF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD}};

}  // namespace

std::size_t display_width(std::string_view text) {
  std::size_t pos = 0, width = 0;
  char32_t cp;
  while (pos < text.size()) {
    if (!decode_utf8(text, pos, &cp)) {
      ++width;
    } else if (in(kZeroWidth, std::size(kZeroWidth), cp)) {
      // no column
    } else {
      width += in(kWide, std::size(kWide), cp) ? 2 : 1;
    }
  }
  return width;
}

std::size_t prefix_bytes(std::string_view text, std::size_t n) {
  std::size_t pos = 0;
  char32_t cp;
  for (std::size_t i = 0; i < n && pos < text.size(); ++i) decode_utf8(text, pos, &cp);
  return pos;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace custos::detail
