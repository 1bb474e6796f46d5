// UTF-8 decoding and code-point counting: policy text is UTF-8, and the
// language measures text (columns, truncate, mask) in code points, never bytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace custos::detail {

// Decodes the code point starting at text[pos]. On success stores it in *cp,
// advances pos past it and returns true. On an invalid or truncated sequence
// (overlong forms, surrogates and values above U+10FFFF included) returns
// false and advances pos by one byte, so a caller can always make progress.
bool decode_utf8(std::string_view text, std::size_t& pos, char32_t* cp);

bool is_valid_utf8(std::string_view text);

// Number of code points; an invalid byte counts as one.
std::size_t count_code_points(std::string_view text);

// Columns the text takes on a terminal: combining marks and zero-width
// characters take none, East Asian wide and fullwidth characters and emoji
// two, others one (an invalid byte one). For aligning tables of names with
// accents, whether written precomposed (é) or decomposed (e + U+0301).
std::size_t display_width(std::string_view text);

// Byte length of the first `n` code points (all of text when it has fewer).
std::size_t prefix_bytes(std::string_view text, std::size_t n);

void append_utf8(std::string& out, char32_t cp);

}  // namespace custos::detail
