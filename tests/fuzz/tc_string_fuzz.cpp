// Fuzz target for the TC string decoder. Beyond "no crash, no hang, no
// sanitizer report" it checks what the model promises: a decoded string is
// version 2; its vendor sets hold ids 1-65535 and end in a non-zero word;
// its publisher restrictions are one per (purpose, type), in order, in a
// pool no wider than the largest vendor; its letters are A-Z; `usable`
// agrees with `problems`; a refusal says why; and decoding is a function of
// the text alone.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "custos/tc_string.hpp"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "tc string invariant broken: %s\n", what);
  std::abort();
}

void check_set(const custos::TcVendorSet& set) {
  if (!set.words.empty() && set.words.back() == 0) fail("a set ends in a zero word");
  if (set.words.size() > 1024) fail("a set past vendor 65535");
  if (set.words.size() == 1024 && (set.words.back() & 1) != 0) fail("vendor 65536");
  if (set.has(0) || set.ids().size() != set.size()) fail("ids() and size() disagree");
}

bool letters(const std::string& s) {
  return s.size() == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto tc = custos::decode_tc_string(text);
  if (!tc.ok()) {
    if (tc.status().message().empty()) fail("a refusal without a reason");
    const auto again = custos::decode_tc_string(text);
    if (again.ok() || again.status().message() != tc.status().message()) fail("not deterministic");
    return 0;
  }
  if (tc->version != 2) fail("a version other than 2 decoded");
  check_set(tc->vendor_consents);
  check_set(tc->vendor_legitimate_interests);
  if (tc->vendors_disclosed) check_set(*tc->vendors_disclosed);
  if (tc->vendors_allowed) check_set(*tc->vendors_allowed);
  const auto& restrictions = tc->publisher_restrictions;
  int previous_key = -1;
  for (const auto& r : restrictions.entries) {
    const int key = r.purpose_id * 4 + static_cast<int>(r.type);
    if (r.purpose_id < 0 || r.purpose_id > 63 || key <= previous_key) {
      fail("restrictions out of order or repeated");
    }
    previous_key = key;
  }
  if (restrictions.words.size() != restrictions.entries.size() * restrictions.stride ||
      restrictions.stride > 1024) {
    fail("the restriction pool does not fit its entries");
  }
  bool last_column = restrictions.stride == 0;
  for (std::size_t i = 0; i < restrictions.size(); ++i) {
    const auto& entry = restrictions.entries[i];
    if (restrictions.find(entry.purpose_id, entry.type) != i) fail("find() misses an entry");
    for (const int id : restrictions.vendor_ids(i)) {
      if (id < 1 || id > 65535 || !restrictions.restricts(entry.purpose_id, entry.type, id)) {
        fail("a restriction's vendor");
      }
    }
    if (restrictions.stride > 0 && restrictions.words[(i + 1) * restrictions.stride - 1] != 0) {
      last_column = true;
    }
  }
  if (!last_column) fail("the restriction pool is wider than its largest vendor");
  if (!letters(tc->consent_language) || !letters(tc->publisher_country_code)) {
    fail("a letter outside A-Z");
  }
  if (tc->special_feature_opt_ins.bits >> 12 || tc->purposes_consent.bits >> 24 ||
      tc->purposes_li_transparency.bits >> 24) {
    fail("an id past its bitfield");
  }
  if (tc->publisher_tc) {
    const int n = tc->publisher_tc->num_custom_purposes;
    if (n < 0 || n > 63 || tc->publisher_tc->custom_purposes_consent.bits >> n ||
        tc->publisher_tc->custom_purposes_li_transparency.bits >> n) {
      fail("a custom purpose past NumCustomPurposes");
    }
  }
  if (tc->usable != tc->problems.empty()) fail("usable disagrees with problems");
  if (tc->created < 0 || tc->created >= (std::int64_t{1} << 36)) fail("a time past 36 bits");
  const auto again = custos::decode_tc_string(text);
  if (!again.ok() || again->vendor_consents != tc->vendor_consents ||
      again->publisher_restrictions != tc->publisher_restrictions) {
    fail("not deterministic");
  }
  return 0;
}
