// The TC string decoder: base64url text to bits, bits to a TcString.
//
// Each segment is decoded into a byte buffer (6 bits a character, zero
// filled, with 8 spare bytes so a field read is one unaligned 64-bit load),
// then read field by field. A read that would pass the end of a segment
// records an error naming the field, where it is and how many bits remain,
// and every later read fails too; callers check at the points where they
// would loop or allocate. Vendor sets are built as ranges straight from the
// bits: a bitfield by its runs of ones, a range list by sorting and merging
// its entries. Nothing is ever sized by a count the string claims, only by
// bits that were actually read.
#include "custos/tc_string.hpp"

#include <array>
#include <bit>
#include <cstdio>
#include <cstring>
#include <memory>

#include "base/time.hpp"
#include "custos/limits.hpp"

namespace custos {
namespace {

using Range = TcVendorSet::Range;

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
// (6 * size + 7) / 8 bytes plus 8 spare ones, all zero. Returns the index of
// the first character that is not base64url, or npos.
std::size_t decode_base64url(std::string_view text, std::uint8_t* out) {
  const std::size_t n = text.size();
  std::size_t i = 0;
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
  std::uint64_t take(unsigned n) {
    std::uint64_t w;
    std::memcpy(&w, data_ + (pos_ >> 3), sizeof w);
    if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap64(w);
    const std::uint64_t v = (w << (pos_ & 7)) >> (64 - n);
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
  TcIdSet s;
  for (unsigned i = 0; i < n; ++i) {
    if ((v >> (n - 1 - i)) & 1) s.bits |= std::uint64_t{1} << i;
  }
  return s;
}

// Sorts ranges by their first id and merges overlapping and adjacent ones.
void normalize(std::vector<Range>* ranges) {
  auto& r = *ranges;
  const auto by_first = [](const Range& a, const Range& b) { return a.first < b.first; };
  if (!std::is_sorted(r.begin(), r.end(), by_first)) std::sort(r.begin(), r.end(), by_first);
  std::size_t out = 0;
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (out > 0 && int{r[i].first} <= int{r[out - 1].last} + 1) {
      r[out - 1].last = std::max(r[out - 1].last, r[i].last);
    } else {
      r[out++] = r[i];
    }
  }
  r.resize(out);
}

// A restriction's range, tagged with its (purpose, type) key for merging.
struct KeyedRange {
  std::uint16_t key;  // purpose * 4 + type
  Range range;
};

class Decoder {
 public:
  explicit Decoder(TcString* out) : out_(*out) {}

  Status decode(std::string_view text);

 private:
  void core();
  void vendor_section(TcVendorSet* set);
  void publisher_restrictions();
  void publisher_tc();
  // One RangeEntry; false when it failed (the error is recorded).
  bool range_entry(Range* range);
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
  void truncated(std::size_t n, const char* field);
  void malformed(const std::string& what);
  std::string where() const;
  std::string letters(const char* field);

  TcString& out_;
  BitStream bits_{nullptr, 0};
  const char* section_ = "";  // "the vendor consent section", "the PublisherTC segment"
  int restriction_ = 0;       // 1-based restriction being read, 0 when none
  int entry_ = 0;             // 1-based range entry being read, 0 when none
  std::vector<Range> scratch_;
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
  scratch_.clear();
  for (int i = 1; i <= num_entries && !failed(); ++i) {
    entry_ = i;
    Range r;
    if (range_entry(&r)) scratch_.push_back(r);
  }
  entry_ = 0;
  if (failed()) return;
  normalize(&scratch_);
  set->ranges.assign(scratch_.begin(), scratch_.end());
}

bool Decoder::range_entry(Range* range) {
  const bool is_a_range = get(1, "IsARange") != 0;
  const auto first = static_cast<std::uint16_t>(get(16, "StartOrOnlyVendorId"));
  const auto last = is_a_range ? static_cast<std::uint16_t>(get(16, "EndVendorId")) : first;
  if (failed()) return false;
  if (first == 0) {
    malformed("vendor id 0" + where() + " of " + section_ + " (vendor ids start at 1)");
    return false;
  }
  if (last < first) {
    malformed("range" + where() + " of " + section_ + " ends at vendor " + std::to_string(last) +
              ", before it starts (" + std::to_string(first) + ")");
    return false;
  }
  *range = Range{first, last};
  return true;
}

// n bits, one per vendor from id 1, read 32 at a time; each run of ones
// becomes (or extends) one range.
void Decoder::bitfield(std::size_t n, TcVendorSet* set) {
  auto& ranges = set->ranges;
  ranges.clear();
  for (std::size_t done = 0; done < n;) {
    const auto k = static_cast<unsigned>(std::min<std::size_t>(32, n - done));
    auto v = static_cast<std::uint32_t>(bits_.take(k) << (32 - k));
    while (v != 0) {
      const int lead = std::countl_zero(v);
      const int run = std::countl_one(static_cast<std::uint32_t>(v << lead));
      const auto first = static_cast<int>(done) + lead + 1;
      const auto last = first + run - 1;
      if (!ranges.empty() && int{ranges.back().last} + 1 == first) {
        ranges.back().last = static_cast<std::uint16_t>(last);
      } else {
        ranges.push_back(
            Range{static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(last)});
      }
      const int cleared = lead + run;
      v = cleared >= 32 ? 0 : v & (~std::uint32_t{0} >> cleared);
    }
    done += k;
  }
}

// NumPubRestrictions entries of PurposeId, RestrictionType, NumEntries and
// range entries. Entries of the same purpose and type are merged, and their
// vendors de-duplicated; an entry with no vendors is kept.
void Decoder::publisher_restrictions() {
  const auto count = static_cast<int>(get(12, "NumPubRestrictions"));
  if (failed() || count == 0) return;
  std::vector<KeyedRange> keyed;
  std::array<std::uint64_t, 4> seen{};  // one bit per key
  for (int i = 1; i <= count && !failed(); ++i) {
    restriction_ = i;
    const auto purpose = static_cast<unsigned>(get(6, "PurposeId"));
    const auto type = static_cast<unsigned>(get(2, "RestrictionType"));
    const auto num_entries = static_cast<int>(get(12, "NumEntries"));
    const auto key = static_cast<std::uint16_t>(purpose * 4 + type);
    if (failed()) break;
    seen[key >> 6] |= std::uint64_t{1} << (key & 63);
    for (int e = 1; e <= num_entries && !failed(); ++e) {
      entry_ = e;
      Range r;
      if (range_entry(&r)) keyed.push_back(KeyedRange{key, r});
    }
    entry_ = 0;
  }
  restriction_ = 0;
  if (failed()) return;
  std::sort(keyed.begin(), keyed.end(), [](const KeyedRange& a, const KeyedRange& b) {
    return a.key != b.key ? a.key < b.key : a.range.first < b.range.first;
  });
  std::size_t next = 0;
  for (unsigned key = 0; key < 256; ++key) {
    if (((seen[key >> 6] >> (key & 63)) & 1) == 0) continue;
    TcPublisherRestriction r;
    r.purpose_id = static_cast<int>(key / 4);
    r.type = static_cast<TcRestrictionType>(key % 4);
    scratch_.clear();
    for (; next < keyed.size() && keyed[next].key == key; ++next) {
      scratch_.push_back(keyed[next].range);
    }
    normalize(&scratch_);
    r.vendors.ranges.assign(scratch_.begin(), scratch_.end());
    out_.publisher_restrictions.push_back(std::move(r));
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
    const std::string name = "segment " + std::to_string(index);
    // `=` padding: at most two, only at the end, to a multiple of 4.
    std::size_t pad = 0;
    while (pad < segment.size() && segment[segment.size() - 1 - pad] == '=') ++pad;
    segment.remove_suffix(pad);
    if (segment.empty()) {
      return Status(
          StatusCode::kInvalidArgument,
          "malformed TC string: " + name + " is empty" +
              (text.find_first_not_of('.') == std::string_view::npos ? " (the string has only dots)"
                                                                     : ""));
    }
    if (pad > 0 && (pad > 2 || (segment.size() + pad) % 4 != 0)) {
      return Status(StatusCode::kInvalidArgument, "bad base64url padding: " + name + " has " +
                                                      std::to_string(segment.size()) +
                                                      " characters and " + std::to_string(pad) +
                                                      " '=', which do not make a multiple of 4");
    }
    const std::size_t bytes = (segment.size() * 6 + 7) / 8;
    std::memset(buffer, 0, bytes + 8);
    if (const auto bad = decode_base64url(segment, buffer); bad != std::string_view::npos) {
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
        malformed(name + " has segment type " + std::to_string(type) +
                  (type == 0 ? " (a second core segment)"
                             : "; only 1 (DisclosedVendors), 2 (AllowedVendors) and 3 "
                               "(PublisherTC) may follow the core segment"));
        break;
      }
      if (seen_type[type]) {
        malformed(name + " repeats the " + kNames[type] + " segment");
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

}  // namespace

Result<TcString> decode_tc_string(std::string_view text) {
  TcString out;
  Decoder decoder(&out);
  if (Status s = decoder.decode(text); !s.ok()) return s;
  return out;
}

}  // namespace custos
