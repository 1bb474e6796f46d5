// TcString: an IAB TCF v2 TC string, decoded. A consent banner (CMP) writes
// one per device (`IABTCF_TCString`, the `euconsent-v2` cookie); it holds the
// user's choices per TCF purpose and per vendor, and the publisher's own.
//
//   custos::Result<custos::TcString> tc = custos::decode_tc_string(text);
//   if (!tc.ok()) { log(tc.status().message()); return; }   // never grants
//   if (!tc->usable) { log(tc->problems[0]); return; }        // decoded, but too old or global
//   bool ok = tc->purposes_consent.has(3) && tc->vendor_consents.has(755);
//
// decode_tc_string reads the core segment and the DisclosedVendors (type 1),
// AllowedVendors (type 2, legacy, tolerated) and PublisherTC (type 3)
// segments, in any order after the core. It accepts base64url with or without
// `=` padding. It refuses, with a message that names the field and its bit
// offset, anything truncated or malformed: a version other than 2, a
// character outside base64url, a repeated or unknown segment, a range that
// ends before it starts. Whatever counts the string claims, its work is
// bounded by the length of the text (at most limits::kMaxTcStringBytes; a
// 58 KiB string of 8,190 ranges 1-65535 decodes in about 2 ms) and its memory
// by 8 KiB per vendor set (2 MiB for 256 restrictions). A real string of
// 300-600 characters decodes in about 0.4-1.2 µs (bench/run_tc_string.sh).
//
// Field names follow the TCF specification ("Consent string and vendor list
// formats v2"); `custos signal decode` prints them under the names of the
// IAB's own libraries.
//
// Thread-safety: decode_tc_string is a pure function; TcString is a plain
// value.
#ifndef CUSTOS_TC_STRING_HPP
#define CUSTOS_TC_STRING_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custos/export.hpp"
#include "custos/status.hpp"

namespace custos {

// Deciseconds since 1970-01-01T00:00:00Z, the resolution of a TC string's
// Created and LastUpdated fields.
using TcDeciseconds = std::int64_t;

// A set of small ids, 1 to 64 (purposes, special features, custom
// purposes): id i is bit i-1.
struct TcIdSet {
  std::uint64_t bits = 0;

  bool has(int id) const { return id >= 1 && id <= 64 && ((bits >> (id - 1)) & 1) != 0; }
  bool empty() const { return bits == 0; }
  // The ids, ascending.
  std::vector<int> ids() const {
    std::vector<int> out;
    for (int i = 0; i < 64; ++i) {
      if ((bits >> i) & 1) out.push_back(i + 1);
    }
    return out;
  }
};

// A set of vendor ids, 1 to 65535, as a bitset in the string's own bit
// order: id i is bit 63 - (i - 1) % 64 of words[(i - 1) / 64]. The last word
// is never zero, so equal sets have equal words; at most 1024 words (8 KiB).
struct CUSTOS_EXPORT TcVendorSet {
  std::vector<std::uint64_t> words;

  bool has(int id) const {
    if (id < 1) return false;
    const auto i = static_cast<std::size_t>(id - 1);
    return (i >> 6) < words.size() && ((words[i >> 6] >> (63 - (i & 63))) & 1) != 0;
  }
  bool empty() const { return words.empty(); }
  // How many ids the set holds.
  std::size_t size() const;
  // The ids, ascending (up to 65535 of them).
  std::vector<int> ids() const;
  bool operator==(const TcVendorSet& o) const { return words == o.words; }
  bool operator!=(const TcVendorSet& o) const { return !(*this == o); }
};

// What a publisher restriction requires of the vendors it lists.
enum class TcRestrictionType : std::uint8_t {
  kNotAllowed = 0,                 // the purpose is not allowed at all
  kRequireConsent = 1,             // flexible vendors must use consent
  kRequireLegitimateInterest = 2,  // flexible vendors must use legitimate interest
  kUndefined = 3,                  // reserved by the specification
};

// The publisher restrictions, merged: one entry per (purpose, type) pair the
// string names (a string may name a pair, and a vendor, more than once),
// sorted by purpose, then type. An entry may list no vendor. The vendors of
// all entries share one pool, each entry a bitset in the layout of
// TcVendorSet: entry i is words[i * stride, (i + 1) * stride), and stride is
// just enough for the largest vendor id any entry lists.
struct CUSTOS_EXPORT TcPublisherRestrictions {
  struct Entry {
    int purpose_id = 0;  // as encoded, 0 to 63 (TCF purposes are 1 to 11)
    TcRestrictionType type = TcRestrictionType::kNotAllowed;
    bool operator==(const Entry& o) const { return purpose_id == o.purpose_id && type == o.type; }
    bool operator!=(const Entry& o) const { return !(*this == o); }
  };
  std::vector<Entry> entries;
  std::size_t stride = 0;
  std::vector<std::uint64_t> words;

  std::size_t size() const { return entries.size(); }
  bool empty() const { return entries.empty(); }
  // Whether entry i lists `vendor`.
  bool has(std::size_t i, int vendor) const {
    if (vendor < 1 || i >= entries.size()) return false;
    const auto bit = static_cast<std::size_t>(vendor - 1);
    return (bit >> 6) < stride && ((words[i * stride + (bit >> 6)] >> (63 - (bit & 63))) & 1) != 0;
  }
  // The vendors entry i lists, ascending.
  std::vector<int> vendor_ids(std::size_t i) const;
  // The entry of (purpose, type), or size() when the string names none.
  std::size_t find(int purpose_id, TcRestrictionType type) const;
  // Whether the string restricts `vendor` for `purpose_id` with `type`.
  bool restricts(int purpose_id, TcRestrictionType type, int vendor) const {
    return has(find(purpose_id, type), vendor);
  }
  bool operator==(const TcPublisherRestrictions& o) const {
    return entries == o.entries && stride == o.stride && words == o.words;
  }
  bool operator!=(const TcPublisherRestrictions& o) const { return !(*this == o); }
};

// The PublisherTC segment: the publisher's own purposes and custom purposes.
struct TcPublisherSegment {
  TcIdSet purposes_consent;          // PubPurposesConsent, purposes 1 to 24
  TcIdSet purposes_li_transparency;  // PubPurposesLITransparency
  int num_custom_purposes = 0;       // NumCustomPurposes, 0 to 63
  TcIdSet custom_purposes_consent;   // 1 to num_custom_purposes
  TcIdSet custom_purposes_li_transparency;
};

struct TcString {
  // Core segment, in the order of the specification.
  int version = 0;                 // always 2 once decoded
  TcDeciseconds created = 0;       // UTC
  TcDeciseconds last_updated = 0;  // UTC; the age of the user's choices
  int cmp_id = 0;
  int cmp_version = 0;
  int consent_screen = 0;
  std::string consent_language;  // two letters, e.g. "EN"
  int vendor_list_version = 0;
  int policy_version = 0;  // TcfPolicyVersion: 4 from TCF 2.2 on
  bool is_service_specific = false;
  bool use_non_standard_texts = false;
  TcIdSet special_feature_opt_ins;   // 1 to 12
  TcIdSet purposes_consent;          // 1 to 24
  TcIdSet purposes_li_transparency;  // 1 to 24
  bool purpose_one_treatment = false;
  std::string publisher_country_code;  // two letters, e.g. "DE"
  TcVendorSet vendor_consents;
  TcVendorSet vendor_legitimate_interests;
  TcPublisherRestrictions publisher_restrictions;

  // The other segments, when the string has them.
  std::optional<TcVendorSet> vendors_disclosed;  // DisclosedVendors
  std::optional<TcVendorSet> vendors_allowed;    // AllowedVendors (legacy)
  std::optional<TcPublisherSegment> publisher_tc;

  // False when the choices must not be used for decisions: the string is
  // not service-specific (IsServiceSpecific 0), or its TcfPolicyVersion is
  // below 4 while it was created on or after 2023-10-01T00:00:00Z (or its
  // version is not 2, which decode_tc_string never returns). `problems`
  // says why, one sentence each; empty when usable.
  bool usable = false;
  std::vector<std::string> problems;
};

// Decodes a TC string. Fails with kInvalidArgument (the message names the
// field, the segment and the bit offset) when it is not a well-formed TCF v2
// string, and with kLimitExceeded past limits::kMaxTcStringBytes.
CUSTOS_EXPORT Result<TcString> decode_tc_string(std::string_view text);

}  // namespace custos

#endif  // CUSTOS_TC_STRING_HPP
