// The TC string decoder: base64url text to bits, bits to a TcString.
//
// Each segment is decoded into a byte buffer (6 bits a character, with 8
// spare bytes so that any field read is one unaligned 64-bit load), then
// read field by field. A read that would pass the end of a segment records
// an error naming the field, where it is and how many bits remain, and
// every later read fails too; callers check at the points where they would
// loop or allocate. A vendor bitfield is copied into its set 64 bits at a
// time (the set keeps the string's bit order); range entries are read a
// chunk at a time, the set grown once to the chunk's largest id, and each
// range painted in. Publisher restrictions share one pool, sized once after
// all their ranges are read. Nothing is sized by a count the string claims:
// a bitfield only once its bits are known to be there, a set never past id
// 65535 (8 KiB), the pool never past 256 such sets.
#include "custos/tc_string.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "base/time.hpp"
#include "custos/limits.hpp"

namespace custos {
namespace {

// 2023-10-01T00:00:00Z in deciseconds: strings created from then on must
// carry TcfPolicyVersion 4 or later (TCF 2.2).
constexpr TcDeciseconds kPolicyVersion4Deadline = 16961184000;

constexpr std::uint8_t kInvalid = 0xFF;

constexpr std::array<std::uint8_t, 256> make_base64url_table() {
  std::array<std::uint8_t, 256> t{};
  for (auto& v : t) v = kInvalid;
  for (int i = 0; i < 26; ++i) {
    t['A' + i] = static_cast<std::uint8_t>(i);
    t['a' + i] = static_cast<std::uint8_t>(26 + i);
  }
  for (int i = 0; i < 10; ++i) t['0' + i] = static_cast<std::uint8_t>(52 + i);
  t['-'] = 62;
  t['_'] = 63;
  return t;
}
constexpr std::array<std::uint8_t, 256> kBase64Url = make_base64url_table();

std::string printable(char c) {
  const auto u = static_cast<unsigned char>(c);
  char buf[16];
  if (u >= 0x20 && u < 0x7F) {
    std::snprintf(buf, sizeof buf, "'%c'", c);
  } else {
    std::snprintf(buf, sizeof buf, "byte 0x%02X", u);
  }
  return buf;
}

// Decodes base64url characters (no padding) into `out`, which has room for
// (6 * size + 7) / 8 bytes plus 8 spare ones. Returns the index of the first
// character that is not base64url, or npos.
std::size_t decode_base64url(std::string_view text, std::uint8_t* out) {
  const std::size_t n = text.size();
  std::size_t i = 0;
#if defined(__SSE2__)
  // 16 characters at a time: classify and map each byte with compares, pack
  // the 6-bit values to 12 and then 24 bits a lane, store 12 bytes. A block
  // with any other character is left to the loops below, which find it.
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  for (; i + 16 <= n; i += 16) {
    const __m128i in = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const auto between = [&](char lo, char hi) {
      return _mm_and_si128(_mm_cmpgt_epi8(in, _mm_set1_epi8(static_cast<char>(lo - 1))),
                           _mm_cmplt_epi8(in, _mm_set1_epi8(static_cast<char>(hi + 1))));
    };
    const __m128i upper = between('A', 'Z');
    const __m128i lower = between('a', 'z');
    const __m128i digit = between('0', '9');
    const __m128i dash = _mm_cmpeq_epi8(in, _mm_set1_epi8('-'));
    const __m128i under = _mm_cmpeq_epi8(in, _mm_set1_epi8('_'));
    const __m128i valid =
        _mm_or_si128(_mm_or_si128(upper, lower), _mm_or_si128(_mm_or_si128(digit, dash), under));
    if (_mm_movemask_epi8(valid) != 0xFFFF) break;
    const __m128i offset =
        _mm_or_si128(_mm_or_si128(_mm_and_si128(upper, _mm_set1_epi8(-'A')),
                                  _mm_and_si128(lower, _mm_set1_epi8(static_cast<char>(26 - 'a')))),
                     _mm_or_si128(_mm_or_si128(_mm_and_si128(digit, _mm_set1_epi8(52 - '0')),
                                               _mm_and_si128(dash, _mm_set1_epi8(62 - '-'))),
                                  _mm_and_si128(under, _mm_set1_epi8(63 - '_'))));
    const __m128i v = _mm_add_epi8(in, offset);  // 0 to 63 a byte
    // 16-bit lane k: first char << 6 | second char; 32-bit lane: 24 bits.
    const __m128i t = _mm_or_si128(_mm_slli_epi16(_mm_and_si128(v, _mm_set1_epi16(0x3F)), 6),
                                   _mm_srli_epi16(v, 8));
    const __m128i u = _mm_madd_epi16(t, _mm_set1_epi32(0x00011000));
    const auto a0 = static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm_cvtsi128_si32(u)));
    const auto a1 = static_cast<std::uint64_t>(
        static_cast<std::uint32_t>(_mm_cvtsi128_si32(_mm_srli_si128(u, 4))));
    const auto a2 = static_cast<std::uint64_t>(
        static_cast<std::uint32_t>(_mm_cvtsi128_si32(_mm_srli_si128(u, 8))));
    const auto a3 = static_cast<std::uint32_t>(_mm_cvtsi128_si32(_mm_srli_si128(u, 12)));
    const std::uint64_t head = __builtin_bswap64((a0 << 40) | (a1 << 16) | (a2 >> 8));
    const std::uint32_t tail =
        __builtin_bswap32(static_cast<std::uint32_t>((a2 & 0xFF) << 24) | a3);
    std::memcpy(out, &head, 8);
    std::memcpy(out + 8, &tail, 4);
    out += 12;
  }
#endif
  for (; i + 4 <= n; i += 4) {
    const std::uint8_t a = kBase64Url[static_cast<unsigned char>(text[i])];
    const std::uint8_t b = kBase64Url[static_cast<unsigned char>(text[i + 1])];
    const std::uint8_t c = kBase64Url[static_cast<unsigned char>(text[i + 2])];
    const std::uint8_t d = kBase64Url[static_cast<unsigned char>(text[i + 3])];
    if ((a | b | c | d) & 0x80) break;
    const std::uint32_t v = (std::uint32_t{a} << 18) | (std::uint32_t{b} << 12) |
                            (std::uint32_t{c} << 6) | std::uint32_t{d};
    out[0] = static_cast<std::uint8_t>(v >> 16);
    out[1] = static_cast<std::uint8_t>(v >> 8);
    out[2] = static_cast<std::uint8_t>(v);
    out += 3;
  }
  std::uint32_t acc = 0;
  int held = 0;
  for (; i < n; ++i) {
    const std::uint8_t v = kBase64Url[static_cast<unsigned char>(text[i])];
    if (v & 0x80) return i;
    acc = (acc << 6) | v;
    held += 6;
    if (held >= 8) {
      held -= 8;
      *out++ = static_cast<std::uint8_t>(acc >> held);
    }
  }
  if (held > 0) *out = static_cast<std::uint8_t>(acc << (8 - held));
  return std::string_view::npos;
}

// The bits of one segment, read most significant first.
class BitStream {
 public:
  BitStream(const std::uint8_t* data, std::size_t bits) : data_(data), bits_(bits) {}

  std::size_t pos() const { return pos_; }
  std::size_t remaining() const { return bits_ - pos_; }
  void exhaust() { pos_ = bits_; }

  // REQUIRES: 1 <= n <= 57 and remaining() >= n.
  std::uint64_t peek(unsigned n) const {
    std::uint64_t w;
    std::memcpy(&w, data_ + (pos_ >> 3), sizeof w);
    if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap64(w);
    return (w << (pos_ & 7)) >> (64 - n);
  }
  // REQUIRES: remaining() >= n.
  void skip(std::size_t n) { pos_ += n; }
  // REQUIRES: 1 <= n <= 57 and remaining() >= n.
  std::uint64_t take(unsigned n) {
    const std::uint64_t v = peek(n);
    pos_ += n;
    return v;
  }

 private:
  const std::uint8_t* data_;
  std::size_t bits_;
  std::size_t pos_ = 0;
};

// n bits read most significant first, as a TcIdSet: the first bit is id 1.
TcIdSet id_set(std::uint64_t v, unsigned n) {
  // Reverse the 64 bits of v << (64 - n): swap halves, then ever smaller
  // blocks, down to single bits.
  std::uint64_t x = v << (64 - n);
  x = __builtin_bswap64(x);
  x = ((x >> 4) & 0x0F0F0F0F0F0F0F0F) | ((x & 0x0F0F0F0F0F0F0F0F) << 4);
  x = ((x >> 2) & 0x3333333333333333) | ((x & 0x3333333333333333) << 2);
  x = ((x >> 1) & 0x5555555555555555) | ((x & 0x5555555555555555) << 1);
  return TcIdSet{x};
}

// Adds the ids first..last (1 <= first <= last <= 65535) to the words of a
// set, which already reach `last`.
[[gnu::always_inline]] inline void paint(std::uint64_t* w, unsigned first, unsigned last) {
  const std::size_t a = first - 1, b = last - 1;  // bit indexes
  if (a == b) {                                   // most entries name one vendor
    w[a >> 6] |= std::uint64_t{1} << (63 - (a & 63));
    return;
  }
  const std::uint64_t all = ~std::uint64_t{0};
  const std::uint64_t head = all >> (a & 63);         // bits a%64 .. 63, in string order
  const std::uint64_t tail = all << (63 - (b & 63));  // bits 0 .. b%64
  if ((a >> 6) == (b >> 6)) {
    w[a >> 6] |= head & tail;
    return;
  }
  w[a >> 6] |= head;
  for (std::size_t i = (a >> 6) + 1; i < (b >> 6); ++i) w[i] = all;
  w[b >> 6] |= tail;
}

class Decoder {
 public:
  explicit Decoder(TcString* out) : out_(*out) {}

  Status decode(std::string_view text);

 private:
  void core();
  void vendor_section(TcVendorSet* set);
  void publisher_restrictions();
  void publisher_tc();
  // `count` RangeEntry records, added to `set`.
  void range_entries(int count, TcVendorSet* set);
  // One RangeEntry; false when it failed (the error is recorded).
  [[gnu::always_inline]] inline bool range_entry(unsigned* first, unsigned* last);
  void bitfield(std::size_t n, TcVendorSet* set);

  // Reads an n-bit field (1 <= n <= 57). On truncation records the error,
  // exhausts the stream and returns 0.
  std::uint64_t get(unsigned n, const char* field) {
    if (bits_.remaining() >= n) return bits_.take(n);
    truncated(n, field);
    return 0;
  }
  // True when n more bits remain; otherwise records a truncation of `field`.
  bool need(std::size_t n, const char* field) {
    if (bits_.remaining() >= n) return true;
    truncated(n, field);
    return false;
  }
  bool failed() const { return !error_.empty(); }
  // The error paths, kept out of line so the reading paths stay small.
  [[gnu::cold, gnu::noinline]] void truncated(std::size_t n, const char* field);
  [[gnu::cold, gnu::noinline]] void malformed(const std::string& what);
  [[gnu::cold, gnu::noinline]] void bad_range(unsigned first, unsigned last);
  std::string where() const;
  std::string letters(const char* field);

  TcString& out_;
  BitStream bits_{nullptr, 0};
  const char* section_ = "";  // "the vendor consent section", "the PublisherTC segment"
  int restriction_ = 0;       // 1-based restriction being read, 0 when none
  int entry_ = 0;             // 1-based range entry being read, 0 when none
  std::string error_;
};

std::string Decoder::where() const {
  std::string w;
  if (entry_ > 0) w += "range entry " + std::to_string(entry_);
  if (restriction_ > 0) {
    w += w.empty() ? "" : " of ";
    w += "restriction " + std::to_string(restriction_);
  }
  return w.empty() ? std::string() : " (" + w + ")";
}

void Decoder::truncated(std::size_t n, const char* field) {
  if (error_.empty()) {
    error_ = "truncated TC string: field " + std::string(field) + where() + " of " + section_ +
             " at bit " + std::to_string(bits_.pos()) + " needs " + std::to_string(n) +
             (n == 1 ? " bit, " : " bits, ") + std::to_string(bits_.remaining()) + " remain";
  }
  bits_.exhaust();
}

void Decoder::bad_range(unsigned first, unsigned last) {
  if (first == 0) {
    malformed("vendor id 0" + where() + " of " + section_ + " (vendor ids start at 1)");
  } else {
    malformed("range" + where() + " of " + section_ + " ends at vendor " + std::to_string(last) +
              ", before it starts (" + std::to_string(first) + ")");
  }
}

void Decoder::malformed(const std::string& what) {
  if (error_.empty()) error_ = "malformed TC string: " + what;
  bits_.exhaust();
}

// Two letters of 6 bits each, A = 0 ... Z = 25.
std::string Decoder::letters(const char* field) {
  const std::size_t at = bits_.pos();
  const auto v = static_cast<unsigned>(get(12, field));
  const unsigned a = v >> 6, b = v & 63;
  if (failed()) return {};
  if (a > 25 || b > 25) {
    malformed("field " + std::string(field) + " of " + section_ + " at bit " + std::to_string(at) +
              " holds letter values " + std::to_string(a) + " and " + std::to_string(b) +
              "; letters are 0 (A) to 25 (Z)");
    return {};
  }
  return std::string{static_cast<char>('A' + a), static_cast<char>('A' + b)};
}

void Decoder::core() {
  section_ = "the core segment";
  out_.version = static_cast<int>(get(6, "Version"));
  if (failed()) return;
  if (out_.version != 2) {
    const int type = out_.version >> 3;
    if (out_.version == 1) {
      malformed(
          "version 1 (a TCF v1.1 consent string, invalid since 2020); Custos decodes "
          "version 2");
    } else if (type >= 1 && type <= 3) {
      malformed("the first segment has the segment type of " +
                std::string(type == 1   ? "DisclosedVendors"
                            : type == 2 ? "AllowedVendors"
                                        : "PublisherTC") +
                "; the core segment must come first");
    } else {
      malformed("unsupported version " + std::to_string(out_.version) +
                "; Custos decodes version 2");
    }
    return;
  }
  out_.created = static_cast<TcDeciseconds>(get(36, "Created"));
  out_.last_updated = static_cast<TcDeciseconds>(get(36, "LastUpdated"));
  out_.cmp_id = static_cast<int>(get(12, "CmpId"));
  out_.cmp_version = static_cast<int>(get(12, "CmpVersion"));
  out_.consent_screen = static_cast<int>(get(6, "ConsentScreen"));
  out_.consent_language = letters("ConsentLanguage");
  out_.vendor_list_version = static_cast<int>(get(12, "VendorListVersion"));
  out_.policy_version = static_cast<int>(get(6, "TcfPolicyVersion"));
  out_.is_service_specific = get(1, "IsServiceSpecific") != 0;
  out_.use_non_standard_texts = get(1, "UseNonStandardTexts") != 0;
  out_.special_feature_opt_ins = id_set(get(12, "SpecialFeatureOptIns"), 12);
  out_.purposes_consent = id_set(get(24, "PurposesConsent"), 24);
  out_.purposes_li_transparency = id_set(get(24, "PurposesLITransparency"), 24);
  out_.purpose_one_treatment = get(1, "PurposeOneTreatment") != 0;
  out_.publisher_country_code = letters("PublisherCC");
  if (failed()) return;
  section_ = "the vendor consent section";
  vendor_section(&out_.vendor_consents);
  if (failed()) return;
  section_ = "the vendor legitimate interest section";
  vendor_section(&out_.vendor_legitimate_interests);
  if (failed()) return;
  section_ = "the publisher restrictions section";
  publisher_restrictions();
}

// MaxVendorId, IsRangeEncoding, then a bitfield or a range list. Range ids
// above MaxVendorId are kept (the IAB's decoders keep them too); an id 0 or
// a range that ends before it starts is refused.
void Decoder::vendor_section(TcVendorSet* set) {
  const auto max_vendor_id = static_cast<std::size_t>(get(16, "MaxVendorId"));
  const bool is_range = get(1, "IsRangeEncoding") != 0;
  if (failed()) return;
  if (!is_range) {
    if (!need(max_vendor_id, "BitField")) return;
    bitfield(max_vendor_id, set);
    return;
  }
  const auto num_entries = static_cast<int>(get(12, "NumEntries"));
  range_entries(num_entries, set);
}

// Reads entries in chunks of up to 64, then grows the set once to the
// largest id of the chunk and paints them; the set's last word holds its
// largest id, so it is never zero.
void Decoder::range_entries(int count, TcVendorSet* set) {
  std::array<std::uint32_t, 64> chunk;  // first << 16 | last
  for (int done = 0; done < count && !failed();) {
    const int k = std::min(64, count - done);
    unsigned largest = 0;
    for (int i = 0; i < k; ++i) {
      entry_ = done + i + 1;
      unsigned first, last;
      if (!range_entry(&first, &last)) return;
      chunk[static_cast<std::size_t>(i)] = (first << 16) | last;
      largest = std::max(largest, last);
    }
    auto& w = set->words;
    const std::size_t need = (largest + 63) / 64;
    if (w.empty()) {
      w = std::vector<std::uint64_t>(need);
    } else if (w.size() < need) {
      w.resize(need, 0);
    }
    for (int i = 0; i < k; ++i) {
      const std::uint32_t e = chunk[static_cast<std::size_t>(i)];
      paint(w.data(), e >> 16, e & 0xFFFF);
    }
    done += k;
  }
  entry_ = 0;
}

inline bool Decoder::range_entry(unsigned* first, unsigned* last) {
  if (bits_.remaining() >= 33) {
    // The common case, in one read: IsARange, StartOrOnlyVendorId and
    // (maybe) EndVendorId are all there.
    const std::uint64_t v = bits_.peek(33);
    const bool is_a_range = (v >> 32) != 0;
    *first = static_cast<unsigned>(v >> 16) & 0xFFFF;
    *last = is_a_range ? static_cast<unsigned>(v) & 0xFFFF : *first;
    bits_.skip(is_a_range ? 33 : 17);
  } else {
    const bool is_a_range = get(1, "IsARange") != 0;
    *first = static_cast<unsigned>(get(16, "StartOrOnlyVendorId"));
    *last = is_a_range ? static_cast<unsigned>(get(16, "EndVendorId")) : *first;
    if (failed()) return false;
  }
  if (*first == 0 || *last < *first) {
    bad_range(*first, *last);
    return false;
  }
  return true;
}

// n bits, one per vendor from id 1, copied 64 at a time: the set keeps the
// string's bit order, so a word is two 32-bit reads.
void Decoder::bitfield(std::size_t n, TcVendorSet* set) {
  auto& w = set->words;
  w.resize((n + 63) / 64);
  std::size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const std::uint64_t high = bits_.take(32);
    w[i / 64] = (high << 32) | bits_.take(32);
  }
  if (i < n) {
    const auto k = static_cast<unsigned>(n - i);  // 1 to 63
    const std::uint64_t high = k > 32 ? bits_.take(32) : 0;
    const std::uint64_t low = k > 32 ? bits_.take(k - 32) : bits_.take(k);
    w[i / 64] = k > 32 ? ((high << 32) | (low << (64 - k))) : low << (64 - k);
  }
  while (!w.empty() && w.back() == 0) w.pop_back();  // so equal sets have equal words
}

// NumPubRestrictions entries of PurposeId, RestrictionType, NumEntries and
// range entries. First every range is read, tagged with its (purpose, type)
// pair, while the pairs named and the largest vendor are noted; then the
// pool is sized once and each range painted into its pair's bitset, which
// merges repeated pairs and vendors. The ranges wait on the stack, or past
// 512 of them on the heap: their number follows the bits read, never a
// claimed count.
void Decoder::publisher_restrictions() {
  const auto count = static_cast<int>(get(12, "NumPubRestrictions"));
  if (failed() || count == 0) return;
  std::array<std::uint64_t, 512> near;  // key << 32 | first << 16 | last
  std::vector<std::uint64_t> far;
  std::size_t n = 0;
  std::array<std::uint64_t, 4> named{};  // one bit per key (purpose * 4 + type)
  unsigned largest = 0;
  for (int i = 1; i <= count && !failed(); ++i) {
    restriction_ = i;
    const auto purpose = static_cast<unsigned>(get(6, "PurposeId"));
    const auto type = static_cast<unsigned>(get(2, "RestrictionType"));
    const auto num_entries = static_cast<int>(get(12, "NumEntries"));
    if (failed()) break;
    const std::uint64_t key = purpose * 4 + type;
    named[key >> 6] |= std::uint64_t{1} << (key & 63);
    for (int e = 1; e <= num_entries; ++e) {
      entry_ = e;
      unsigned first, last;
      if (!range_entry(&first, &last)) break;
      largest = std::max(largest, last);
      const std::uint64_t tagged = (key << 32) | (first << 16) | last;
      if (n < near.size()) {
        near[n] = tagged;
      } else {
        far.push_back(tagged);
      }
      ++n;
    }
    entry_ = 0;
  }
  restriction_ = 0;
  if (failed()) return;
  auto& out = out_.publisher_restrictions;
  std::array<std::uint16_t, 256> slot;
  out.entries.reserve(static_cast<std::size_t>(std::popcount(named[0]) + std::popcount(named[1]) +
                                               std::popcount(named[2]) + std::popcount(named[3])));
  for (unsigned word = 0; word < 4; ++word) {
    for (std::uint64_t bits = named[word]; bits != 0; bits &= bits - 1) {
      const unsigned key = word * 64 + static_cast<unsigned>(std::countr_zero(bits));
      slot[key] = static_cast<std::uint16_t>(out.entries.size());
      out.entries.push_back({static_cast<int>(key / 4), static_cast<TcRestrictionType>(key % 4)});
    }
  }
  out.stride = (largest + 63) / 64;
  out.words.assign(out.entries.size() * out.stride, 0);
  for (std::size_t k = 0; k < n; ++k) {
    const std::uint64_t t = k < near.size() ? near[k] : far[k - near.size()];
    paint(&out.words[slot[t >> 32] * out.stride], static_cast<unsigned>(t >> 16) & 0xFFFF,
          static_cast<unsigned>(t) & 0xFFFF);
  }
}

void Decoder::publisher_tc() {
  TcPublisherSegment p;
  p.purposes_consent = id_set(get(24, "PubPurposesConsent"), 24);
  p.purposes_li_transparency = id_set(get(24, "PubPurposesLITransparency"), 24);
  p.num_custom_purposes = static_cast<int>(get(6, "NumCustomPurposes"));
  if (failed()) return;
  const auto n = static_cast<unsigned>(p.num_custom_purposes);
  if (n > 0) {
    p.custom_purposes_consent = id_set(get(n, "CustomPurposesConsent"), n);
    p.custom_purposes_li_transparency = id_set(get(n, "CustomPurposesLITransparency"), n);
  }
  if (failed()) return;
  out_.publisher_tc = p;
}

Status Decoder::decode(std::string_view text) {
  if (text.size() > limits::kMaxTcStringBytes) {
    return Status(StatusCode::kLimitExceeded,
                  "TC string of " + std::to_string(text.size()) + " bytes; at most " +
                      std::to_string(limits::kMaxTcStringBytes) + " are accepted");
  }
  if (text.empty()) return Status(StatusCode::kInvalidArgument, "empty TC string");

  // One buffer, large enough for any segment of the text, reused for each.
  const std::size_t buffer_size = (text.size() * 6 + 7) / 8 + 8;
  std::array<std::uint8_t, 1024> small;
  std::unique_ptr<std::uint8_t[]> large;
  std::uint8_t* buffer = small.data();
  if (buffer_size > small.size()) {
    large = std::make_unique<std::uint8_t[]>(buffer_size);
    buffer = large.get();
  }

  bool seen_type[4] = {false, false, false, false};
  int index = 0;
  std::size_t start = 0;
  while (start <= text.size() && error_.empty()) {
    std::size_t end = text.find('.', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view segment = text.substr(start, end - start);
    ++index;
    const auto name = [index] { return "segment " + std::to_string(index); };
    // `=` padding: at most two, only at the end, to a multiple of 4.
    std::size_t pad = 0;
    while (pad < segment.size() && segment[segment.size() - 1 - pad] == '=') ++pad;
    segment.remove_suffix(pad);
    if (segment.empty()) {
      return Status(
          StatusCode::kInvalidArgument,
          "malformed TC string: " + name() + " is empty" +
              (text.find_first_not_of('.') == std::string_view::npos ? " (the string has only dots)"
                                                                     : ""));
    }
    if (pad > 2) {
      return Status(StatusCode::kInvalidArgument, "bad base64url padding: " + name() + " ends in " +
                                                      std::to_string(pad) +
                                                      " '='; padding is at most two");
    }
    if (pad > 0 && (segment.size() + pad) % 4 != 0) {
      return Status(StatusCode::kInvalidArgument, "bad base64url padding: " + name() + " has " +
                                                      std::to_string(segment.size()) +
                                                      " characters and " + std::to_string(pad) +
                                                      " '=', which do not make a multiple of 4");
    }
    const std::size_t bytes = (segment.size() * 6 + 7) / 8;
    const auto bad = decode_base64url(segment, buffer);
    std::memset(buffer + bytes, 0, 8);  // what a read near the end loads, unused
    if (bad != std::string_view::npos) {
      const std::size_t position = start + bad + 1;
      const char c = segment[bad];
      return Status(StatusCode::kInvalidArgument,
                    "bad character " + printable(c) + " at position " + std::to_string(position) +
                        " of the TC string: base64url has only A-Z, a-z, 0-9, '-' and '_'" +
                        (c == '+' || c == '/' ? " (this looks like standard base64)"
                         : c == '='           ? " ('=' may only pad the end of a segment)"
                                              : ""));
    }
    bits_ = BitStream(buffer, segment.size() * 6);
    if (index == 1) {
      core();
    } else {
      section_ = "a segment";
      const auto type = static_cast<int>(get(3, "SegmentType"));
      if (failed()) break;
      static constexpr const char* kNames[] = {"core", "DisclosedVendors", "AllowedVendors",
                                               "PublisherTC"};
      if (type == 0 || type > 3) {
        malformed(name() + " has segment type " + std::to_string(type) +
                  (type == 0 ? " (a second core segment)"
                             : "; only 1 (DisclosedVendors), 2 (AllowedVendors) and 3 "
                               "(PublisherTC) may follow the core segment"));
        break;
      }
      if (seen_type[type]) {
        malformed(name() + " repeats the " + kNames[type] + " segment");
        break;
      }
      seen_type[type] = true;
      if (type == 1) {
        section_ = "the DisclosedVendors segment";
        vendor_section(&out_.vendors_disclosed.emplace());
      } else if (type == 2) {
        section_ = "the AllowedVendors segment";
        vendor_section(&out_.vendors_allowed.emplace());
      } else {
        section_ = "the PublisherTC segment";
        publisher_tc();
      }
    }
    start = end + 1;
  }
  if (!error_.empty()) return Status(StatusCode::kInvalidArgument, error_);

  if (out_.version != 2) {
    out_.problems.push_back("version " + std::to_string(out_.version) + " is not 2");
  }
  if (!out_.is_service_specific) {
    out_.problems.push_back(
        "not service-specific (IsServiceSpecific is 0): global TC strings are no longer valid");
  }
  if (out_.policy_version < 4 && out_.created >= kPolicyVersion4Deadline) {
    out_.problems.push_back("TcfPolicyVersion " + std::to_string(out_.policy_version) +
                            " is below 4, for a string created on " +
                            detail::format_rfc3339(out_.created / 10).substr(0, 10) +
                            " (from 2023-10-01 on, TCF 2.2 requires 4)");
  }
  out_.usable = out_.problems.empty();
  return Status();
}

// The ids of a bitset in the layout of TcVendorSet, ascending.
std::vector<int> ids_of(const std::uint64_t* words, std::size_t n) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < n; ++i) count += static_cast<std::size_t>(std::popcount(words[i]));
  std::vector<int> out;
  out.reserve(count);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::uint64_t w = words[i]; w != 0;) {
      const int lead = std::countl_zero(w);
      out.push_back(static_cast<int>(i * 64) + lead + 1);
      w &= ~(std::uint64_t{1} << (63 - lead));
    }
  }
  return out;
}

}  // namespace

std::size_t TcVendorSet::size() const {
  std::size_t n = 0;
  for (const auto w : words) n += static_cast<std::size_t>(std::popcount(w));
  return n;
}

std::vector<int> TcVendorSet::ids() const {
  return ids_of(words.data(), words.size());
}

std::vector<int> TcPublisherRestrictions::vendor_ids(std::size_t i) const {
  if (i >= entries.size()) return {};
  return ids_of(words.data() + i * stride, stride);
}

std::size_t TcPublisherRestrictions::find(int purpose_id, TcRestrictionType type) const {
  const auto it = std::lower_bound(
      entries.begin(), entries.end(), Entry{purpose_id, type}, [](const Entry& a, const Entry& b) {
        return a.purpose_id != b.purpose_id ? a.purpose_id < b.purpose_id : a.type < b.type;
      });
  return it != entries.end() && *it == Entry{purpose_id, type}
             ? static_cast<std::size_t>(it - entries.begin())
             : entries.size();
}

Result<TcString> decode_tc_string(std::string_view text) {
  Result<TcString> result{TcString{}};
  Decoder decoder(&*result);
  if (Status s = decoder.decode(text); !s.ok()) return s;
  return result;
}

}  // namespace custos
