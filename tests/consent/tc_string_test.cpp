// The TC string decoder: real strings from the IAB's decoders and their test
// suites (tc_strings.json, each with its source and what the source
// asserts), strings written bit by bit for what real ones rarely show, and
// negative vectors (truncated at many offsets, v1, bad base64, hostile
// counts).
#include "custos/tc_string.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

#include "catch.hpp"
#include "cli/signal_command.hpp"
#include "custos/limits.hpp"

using namespace custos;
using nlohmann::json;

namespace {

const json& data() {
  static const json d = [] {
    std::ifstream in(CUSTOS_SOURCE_DIR "/tests/consent/tc_strings.json");
    return json::parse(in);
  }();
  return d;
}

const json& real(const std::string& name) {
  for (const auto& s : data()["strings"]) {
    if (s["name"] == name) return s;
  }
  FAIL("no string named " << name);
  static const json none;
  return none;
}

json decoded_json(const std::string& tc) {
  const auto decoded = decode_tc_string(tc);
  REQUIRE(decoded.ok());
  return json::parse(cli::tc_string_json(*decoded));
}

std::string error_of(std::string_view tc) {
  const auto decoded = decode_tc_string(tc);
  REQUIRE_FALSE(decoded.ok());
  return decoded.status().message();
}

// A TC string written field by field, as the IAB's own tests write theirs.
class BitWriter {
 public:
  // `bits` bits of value, most significant first (past 64, leading zeros).
  BitWriter& put(std::uint64_t value, int bits) {
    for (int i = bits - 1; i >= 0; --i) bits_.push_back(i < 64 && ((value >> i) & 1) != 0);
    return *this;
  }
  BitWriter& flag(bool b) { return put(b ? 1 : 0, 1); }
  BitWriter& letters(const char* two) { return put(two[0] - 'A', 6).put(two[1] - 'A', 6); }
  std::size_t size() const { return bits_.size(); }
  // base64url, zero-filled to whole characters, without padding.
  std::string base64url() const {
    static const char* kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    for (std::size_t i = 0; i < bits_.size(); i += 6) {
      int v = 0;
      for (std::size_t j = i; j < i + 6; ++j) v = v * 2 + (j < bits_.size() && bits_[j] ? 1 : 0);
      out.push_back(kAlphabet[v]);
    }
    return out;
  }

 private:
  std::vector<bool> bits_;
};

// 2023-10-01T00:00:00Z in deciseconds.
constexpr TcDeciseconds kDeadline = 16961184000;

struct Core {
  int version = 2;
  TcDeciseconds created = kDeadline + 864000;  // 2023-10-02
  TcDeciseconds last_updated = kDeadline + 864000;
  int policy_version = 4;
  bool service_specific = true;
  const char* language = "EN";
};

// The 213 bits of the core segment's fixed fields.
BitWriter core(const Core& c = {}) {
  BitWriter w;
  w.put(c.version, 6).put(c.created, 36).put(c.last_updated, 36);
  w.put(300, 12).put(7, 12).put(1, 6).letters(c.language).put(150, 12);
  w.put(c.policy_version, 6).flag(c.service_specific).flag(false);
  w.put(0b100000000000, 12);              // special feature 1
  w.put(0b111100000000000000000000, 24);  // purposes 1-4
  w.put(0b010000000000000000000000, 24);  // LI purpose 2
  w.flag(false).letters("DE");
  REQUIRE(w.size() == 213);
  return w;
}

// An empty vendor section: MaxVendorId 0, bitfield.
BitWriter& empty_section(BitWriter& w) {
  return w.put(0, 16).flag(false);
}

BitWriter& range(BitWriter& w, int first, int last) {
  if (first == last) return w.flag(false).put(first, 16);
  return w.flag(true).put(first, 16).put(last, 16);
}

std::string minimal(const Core& c = {}) {
  BitWriter w = core(c);
  empty_section(w);
  empty_section(w);
  w.put(0, 12);
  return w.base64url();
}

}  // namespace

TEST_CASE("tc string: every field the sources assert, for each real string", "[consent][tc]") {
  REQUIRE(data()["strings"].size() >= 10);
  for (const auto& s : data()["strings"]) {
    INFO(s["name"].get<std::string>() << " from " << s["source"]["repository"].get<std::string>()
                                      << "/" << s["source"]["path"].get<std::string>());
    const json j = decoded_json(s["tc"]);
    for (const auto& [key, want] : s["asserts"].items()) {
      INFO("field " << key);
      const json::json_pointer at(key[0] == '/' ? key : "/" + key);
      REQUIRE(j.contains(at));
      CHECK(j[at] == want);
    }
    if (s.contains("assertsContains")) {
      for (const auto& [key, ids] : s["assertsContains"].items()) {
        for (const auto& id : ids) {
          INFO("field " << key << " contains " << id);
          const auto& list = j[key];
          CHECK(std::find(list.begin(), list.end(), id) != list.end());
        }
      }
    }
    if (s.contains("assertsCount")) {
      for (const auto& [key, n] : s["assertsCount"].items()) {
        INFO("field " << key);
        CHECK(j[json::json_pointer(key)].size() == n.get<std::size_t>());
      }
    }
    if (s.contains("assertsRestrictions")) {
      for (const auto& want : s["assertsRestrictions"]) {
        INFO("restriction " << want.dump());
        const auto& got = j["publisherRestrictions"];
        CHECK(std::find(got.begin(), got.end(), want) != got.end());
      }
    }
  }
}

TEST_CASE("tc string: the whole JSON of each real string, as @iabtcf/core decodes it",
          "[consent][tc]") {
  for (const auto& s : data()["strings"]) {
    INFO(s["name"].get<std::string>());
    CHECK(decoded_json(s["tc"]) == s["expected"]);
  }
}

TEST_CASE("tc string: the exact text of `custos signal decode`", "[consent][tc]") {
  const auto model = decode_tc_string(real("java-model-from-base64")["tc"].get<std::string>());
  REQUIRE(model.ok());
  CHECK(cli::tc_string_json(*model) == R"({
  "version": 2,
  "created": "2020-01-26T17:01:00.0Z",
  "lastUpdated": "2021-02-02T17:01:00.0Z",
  "cmpId": 675,
  "cmpVersion": 2,
  "consentScreen": 1,
  "consentLanguage": "EN",
  "vendorListVersion": 15,
  "policyVersion": 2,
  "isServiceSpecific": false,
  "useNonStandardTexts": false,
  "purposeOneTreatment": true,
  "publisherCountryCode": "AA",
  "specialFeatureOptIns": [1],
  "purposeConsents": [2, 10],
  "purposeLegitimateInterests": [2, 9],
  "vendorConsents": [],
  "vendorLegitimateInterests": [],
  "vendorsDisclosed": [],
  "vendorsAllowed": [],
  "publisherRestrictions": [],
  "publisherTC": null,
  "usable": false,
  "problems": ["not service-specific (IsServiceSpecific is 0): global TC strings are no longer valid"]
}
)");
  const auto parts = decode_tc_string(real("java-all-parts-padded")["tc"].get<std::string>());
  REQUIRE(parts.ok());
  CHECK(cli::tc_string_json(*parts) == R"({
  "version": 2,
  "created": "2019-12-04T18:53:00.0Z",
  "lastUpdated": "2019-12-10T18:53:00.0Z",
  "cmpId": 2,
  "cmpVersion": 1,
  "consentScreen": 1,
  "consentLanguage": "EN",
  "vendorListVersion": 7,
  "policyVersion": 2,
  "isServiceSpecific": false,
  "useNonStandardTexts": false,
  "purposeOneTreatment": false,
  "publisherCountryCode": "AQ",
  "specialFeatureOptIns": [1],
  "purposeConsents": [3, 4, 5, 6, 7, 8, 9],
  "purposeLegitimateInterests": [],
  "vendorConsents": [23, 37, 47, 48, 53, 65, 98],
  "vendorLegitimateInterests": [37, 47, 48, 53, 65, 98, 129],
  "vendorsDisclosed": [23, 37, 47, 48, 53, 65, 98, 129],
  "vendorsAllowed": [12, 23, 37, 47, 48, 53],
  "publisherRestrictions": [],
  "publisherTC": {
    "pubPurposesConsent": [1],
    "pubPurposesLITransparency": [24],
    "numCustomPurposes": 2,
    "customPurposesConsent": [2],
    "customPurposesLITransparency": [1, 2]
  },
  "usable": false,
  "problems": ["not service-specific (IsServiceSpecific is 0): global TC strings are no longer valid"]
}
)");
  const auto restricted =
      decode_tc_string(real("java-publisher-restrictions")["tc"].get<std::string>());
  REQUIRE(restricted.ok());
  const std::string text = cli::tc_string_json(*restricted);
  CHECK(text.find(R"(  "publisherRestrictions": [
    {"purposeId": 1, "restrictionType": 1, "vendorIds": []},
    {"purposeId": 2, "restrictionType": 0, "vendorIds": []},
    {"purposeId": 3, "restrictionType": 2, "vendorIds": []}
  ],
  "publisherTC": null,
)") != std::string::npos);
}

TEST_CASE("tc string: the decoded model of a real string", "[consent][tc]") {
  // iabtcf-es issue 201: purposes 1-10 each restricted twice for the same
  // vendors, which the model holds once each.
  const auto tc =
      decode_tc_string(real("es-issue-201-repeated-restrictions")["tc"].get<std::string>());
  REQUIRE(tc.ok());
  CHECK(tc->version == 2);
  CHECK(tc->created == 15977442096);  // 2020-08-18T09:50:09.6Z
  CHECK(tc->cmp_id == 31);
  CHECK(tc->cmp_version == 1602);
  CHECK(tc->consent_language == "DE");
  CHECK(tc->publisher_country_code == "EU");
  CHECK(tc->is_service_specific);
  CHECK(tc->policy_version == 2);
  CHECK(tc->usable);  // created in 2020, before policy version 4 was required
  CHECK(tc->problems.empty());
  CHECK(tc->special_feature_opt_ins.ids() == std::vector<int>{1, 2});
  CHECK(tc->purposes_consent.bits == 0x3FF);  // purposes 1-10
  CHECK(tc->purposes_consent.has(10));
  CHECK_FALSE(tc->purposes_consent.has(11));
  CHECK_FALSE(tc->purposes_li_transparency.has(1));
  CHECK(tc->vendor_consents.has(1));
  CHECK_FALSE(tc->vendor_consents.has(3));
  CHECK(tc->vendor_consents.has(808));
  CHECK_FALSE(tc->vendor_consents.has(809));
  CHECK_FALSE(tc->vendor_consents.has(0));
  CHECK(tc->vendor_consents.ids().size() == tc->vendor_consents.size());
  REQUIRE(tc->vendor_consents.words.size() == 13);      // MaxVendorId 808; 808 itself is set
  CHECK(tc->vendor_consents.words[0] >> 60 == 0b1101);  // vendors 1, 2, not 3, 4
  const auto& restrictions = tc->publisher_restrictions;
  REQUIRE(restrictions.size() == 20);
  CHECK(restrictions.entries[0].purpose_id == 1);
  CHECK(restrictions.entries[0].type == TcRestrictionType::kRequireConsent);
  CHECK(restrictions.vendor_ids(0) == std::vector<int>{7, 20, 71, 122, 140, 183});
  CHECK(restrictions.entries[19].purpose_id == 10);
  CHECK(restrictions.entries[19].type == TcRestrictionType::kRequireLegitimateInterest);
  CHECK(restrictions.vendor_ids(19) == std::vector<int>{730});
  CHECK(restrictions.stride == 12);  // vendor 730 is the largest
  CHECK(restrictions.words.size() == 20 * 12);
  CHECK(restrictions.find(10, TcRestrictionType::kRequireLegitimateInterest) == 19);
  CHECK(restrictions.find(10, TcRestrictionType::kNotAllowed) == 20);
  CHECK(restrictions.find(11, TcRestrictionType::kRequireConsent) == 20);
  CHECK(restrictions.restricts(3, TcRestrictionType::kRequireConsent, 71));
  CHECK_FALSE(restrictions.restricts(3, TcRestrictionType::kRequireConsent, 72));
  CHECK_FALSE(restrictions.restricts(3, TcRestrictionType::kRequireConsent, 730));
  CHECK(restrictions.restricts(3, TcRestrictionType::kRequireLegitimateInterest, 730));
  CHECK_FALSE(restrictions.restricts(3, TcRestrictionType::kNotAllowed, 71));
  CHECK_FALSE(restrictions.restricts(3, TcRestrictionType::kRequireConsent, 0));
  CHECK_FALSE(restrictions.restricts(3, TcRestrictionType::kRequireConsent, 65535));
  CHECK(restrictions.vendor_ids(20).empty());
  CHECK_FALSE(tc->vendors_disclosed.has_value());
  CHECK_FALSE(tc->publisher_tc.has_value());
}

TEST_CASE("tc string: the real invalid strings fail with exact reasons", "[consent][tc]") {
  REQUIRE(data()["invalid"].size() >= 5);
  for (const auto& s : data()["invalid"]) {
    INFO(s["name"].get<std::string>());
    const auto decoded = decode_tc_string(s["tc"].get<std::string>());
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.status().code() == StatusCode::kInvalidArgument);
    CHECK(decoded.status().message() == s["error"].get<std::string>());
  }
}

TEST_CASE("tc string: '=' padding is accepted, and changes nothing", "[consent][tc]") {
  for (const auto& s : data()["strings"]) {
    // Every segment once without padding and once padded to a multiple of 4.
    std::string bare, padded;
    std::string_view rest = s["tc"].get_ref<const std::string&>();
    while (true) {
      const auto dot = rest.find('.');
      std::string segment(rest.substr(0, dot));
      while (!segment.empty() && segment.back() == '=') segment.pop_back();
      bare += segment;
      padded += segment + std::string((4 - segment.size() % 4) % 4, '=');
      if (dot == std::string_view::npos) break;
      bare += '.';
      padded += '.';
      rest.remove_prefix(dot + 1);
    }
    INFO(padded);
    CHECK(decoded_json(bare) == s["expected"]);
    CHECK(decoded_json(padded) == s["expected"]);
  }
}

TEST_CASE("tc string: truncated strings name the field and its bit offset", "[consent][tc]") {
  const std::string bitfields = real("java-bitfields")["tc"];
  const std::string ranges = real("java-range-two-entries")["tc"];
  const std::string restricted = real("es-issue-201-repeated-restrictions")["tc"];
  const std::string disclosed = real("java-disclosed-and-allowed")["tc"];
  const std::string publisher = real("java-publisher-purposes")["tc"];

  SECTION("in the core's fixed fields") {
    CHECK(error_of(bitfields.substr(0, 10)) ==
          "truncated TC string: field LastUpdated of the core segment at bit 42 needs 36 bits, 18 "
          "remain");
    CHECK(error_of("C") ==
          "truncated TC string: field Created of the core segment at bit 6 needs 36 bits, 0 "
          "remain");
    CHECK(error_of(bitfields.substr(0, 35)) ==
          "truncated TC string: field PublisherCC of the core segment at bit 201 needs 12 bits, 9 "
          "remain");
  }
  SECTION("at the first vendor section") {
    CHECK(
        error_of(bitfields.substr(0, 36)) ==
        "truncated TC string: field MaxVendorId of the vendor consent section at bit 213 needs 16 "
        "bits, 3 remain");
  }
  SECTION("inside a bitfield") {
    CHECK(error_of(bitfields.substr(0, 50)) ==
          "truncated TC string: field BitField of the vendor consent section at bit 230 needs 98 "
          "bits, 70 remain");
  }
  SECTION("inside a range entry") {
    const std::string core = ranges.substr(0, ranges.find('.'));
    CHECK(error_of(core.substr(0, 42)) ==
          "truncated TC string: field StartOrOnlyVendorId (range entry 1) of the vendor consent "
          "section at bit 243 needs 16 bits, 9 remain");
    CHECK(error_of(core.substr(0, 44)) ==
          "truncated TC string: field EndVendorId (range entry 1) of the vendor consent section at "
          "bit 259 needs 16 bits, 5 remain");
  }
  SECTION("inside a publisher restriction's range entry") {
    CHECK(error_of(restricted.substr(0, 620)) ==
          "truncated TC string: field StartOrOnlyVendorId (range entry 6 of restriction 19) of the "
          "publisher restrictions section at bit 3718 needs 16 bits, 2 remain");
  }
  SECTION("inside DisclosedVendors and AllowedVendors") {
    const std::string core = disclosed.substr(0, disclosed.find('.'));
    CHECK(error_of(core + ".IBA") ==
          "truncated TC string: field MaxVendorId of the DisclosedVendors segment at bit 3 needs "
          "16 bits, 15 remain");
    CHECK(error_of(core + ".IBAgAAAgAIAwgAgAAAAEAAA") ==
          "truncated TC string: field BitField of the DisclosedVendors segment at bit 20 needs 129 "
          "bits, 118 remain");
    CHECK(error_of(core + ".IBAgAAAgAIAwgAgAAAAEAAAACA.QAagAQ") ==
          "truncated TC string: field BitField of the AllowedVendors segment at bit 20 needs 53 "
          "bits, 16 remain");
  }
  SECTION("inside PublisherTC") {
    const std::string core = publisher.substr(0, publisher.find('.'));
    CHECK(error_of(core + ".cAAAAAAAI") ==
          "truncated TC string: field NumCustomPurposes of the PublisherTC segment at bit 51 needs "
          "6 bits, 3 remain");
    CHECK(error_of(core + ".cAAAAAAAIT") ==
          "truncated TC string: field CustomPurposesLITransparency of the PublisherTC segment at "
          "bit 59 needs 2 bits, 1 remain");
  }
  SECTION("every prefix of every real string decodes or says why, never more") {
    for (const auto& s : data()["strings"]) {
      const std::string tc = s["tc"];
      for (std::size_t n = 0; n < tc.size(); ++n) {
        const auto decoded = decode_tc_string(std::string_view(tc).substr(0, n));
        if (decoded.ok()) continue;  // the cut removed only padding bits or whole segments
        const std::string m = decoded.status().message();
        INFO(tc.substr(0, n) << ": " << m);
        CHECK((m.rfind("truncated TC string: field ", 0) == 0 || m == "empty TC string" ||
               m.find(" is empty") != std::string::npos ||
               m.rfind("bad base64url padding", 0) == 0));
      }
    }
  }
}

TEST_CASE("tc string: v1 strings, bad base64url and empty input are refused", "[consent][tc]") {
  const std::string good = real("java-model-from-base64")["tc"];
  CHECK(error_of("") == "empty TC string");
  CHECK(error_of(".") == "malformed TC string: segment 1 is empty (the string has only dots)");
  CHECK(error_of("....") == "malformed TC string: segment 1 is empty (the string has only dots)");
  CHECK(error_of(good + ".") == "malformed TC string: segment 2 is empty");
  CHECK(error_of(good + "..YAAAAAAAAAAA") == "malformed TC string: segment 2 is empty");
  CHECK(error_of("BOOzQoAOOzQoAAPAFSENCW-AIBA") ==
        "malformed TC string: version 1 (a TCF v1.1 consent string, invalid since 2020); Custos "
        "decodes version 2");
  CHECK(error_of("DAAAAA") ==
        "malformed TC string: unsupported version 3; Custos decodes version 2");
  CHECK(error_of("AAAAAA") ==
        "malformed TC string: unsupported version 0; Custos decodes version 2");
  CHECK(error_of("YAAAAAAAAAAA") ==
        "malformed TC string: the first segment has the segment type of PublisherTC; the core "
        "segment must come first");
  CHECK(error_of("COtyb+4PA_zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA") ==
        "bad character '+' at position 6 of the TC string: base64url has only A-Z, a-z, 0-9, '-' "
        "and '_' (this looks like standard base64)");
  CHECK(error_of("COtybn4PA/zT4KjACBENAPCIAEBAAECAAIAAAAAAAAAA") ==
        "bad character '/' at position 10 of the TC string: base64url has only A-Z, a-z, 0-9, '-' "
        "and '_' (this looks like standard base64)");
  CHECK(error_of(good + " ") ==
        "bad character ' ' at position 45 of the TC string: base64url has only A-Z, a-z, 0-9, '-' "
        "and '_'");
  CHECK(error_of("CO=tybn4") ==
        "bad character '=' at position 3 of the TC string: base64url has only A-Z, a-z, 0-9, '-' "
        "and '_' ('=' may only pad the end of a segment)");
  CHECK(error_of(std::string("CO\0tyb", 6)) ==
        "bad character byte 0x00 at position 3 of the TC string: base64url has only A-Z, a-z, "
        "0-9, '-' and '_'");
  CHECK(error_of("C\xC3\xA9") ==
        "bad character byte 0xC3 at position 2 of the TC string: base64url has only A-Z, a-z, "
        "0-9, '-' and '_'");
  CHECK(error_of("hello, world!") ==
        "bad character ',' at position 6 of the TC string: base64url has only A-Z, a-z, 0-9, '-' "
        "and '_'");
  CHECK(error_of("CA===") ==
        "bad base64url padding: segment 1 ends in 3 '='; padding is at most two");
  CHECK(error_of("CAA==") ==
        "bad base64url padding: segment 1 has 3 characters and 2 '=', which do not make a "
        "multiple of 4");
  CHECK(error_of("====") == "malformed TC string: segment 1 is empty");
  // Garbage that happens to be base64url.
  CHECK(error_of("Cgarbage") ==
        "truncated TC string: field LastUpdated of the core segment at bit 42 needs 36 bits, 6 "
        "remain");
}

TEST_CASE("tc string: segments after the core", "[consent][tc]") {
  const std::string good = real("java-model-from-base64")["tc"];
  CHECK(error_of(good + ".gA") ==
        "malformed TC string: segment 2 has segment type 4; only 1 (DisclosedVendors), 2 "
        "(AllowedVendors) and 3 (PublisherTC) may follow the core segment");
  CHECK(error_of(good + ".YAAAAAAAAAAA.YAAAAAAAAAAA") ==
        "malformed TC string: segment 3 repeats the PublisherTC segment");
  // Any order after the core.
  const auto a = decode_tc_string(good + ".YAAAAAAAAAAA.IDKQA4AAgAKAGQAygAAA");
  const auto b = decode_tc_string(good + ".IDKQA4AAgAKAGQAygAAA.YAAAAAAAAAAA");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(cli::tc_string_json(*a) == cli::tc_string_json(*b));
  CHECK(a->vendors_disclosed->ids() == std::vector<int>{1, 2, 3, 4, 5, 100, 404});
  CHECK(a->publisher_tc->num_custom_purposes == 0);
}

TEST_CASE("tc string: range sections are sorted, merged and checked", "[consent][tc]") {
  BitWriter w = core();
  w.put(500, 16).flag(true).put(5, 12);  // vendor consents: 5 entries, unsorted, overlapping
  range(w, 40, 45);
  range(w, 3, 3);
  range(w, 44, 50);
  range(w, 51, 51);
  range(w, 700, 700);  // above MaxVendorId: kept, as the IAB's decoders keep it
  empty_section(w);
  w.put(0, 12);
  const auto tc = decode_tc_string(w.base64url());
  REQUIRE(tc.ok());
  CHECK(tc->vendor_consents.ids() ==
        std::vector<int>{3, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 700});
  CHECK(tc->vendor_consents.size() == 14);
  CHECK(tc->vendor_consents.words.size() == 11);

  BitWriter backwards = core();
  backwards.put(10, 16).flag(true).put(2, 12);
  range(backwards, 2, 2);
  range(backwards, 9, 5);
  CHECK(error_of(backwards.base64url()) ==
        "malformed TC string: range (range entry 2) of the vendor consent section ends at vendor "
        "5, before it starts (9)");

  BitWriter zero = core();
  empty_section(zero);
  zero.put(10, 16).flag(true).put(1, 12);
  range(zero, 0, 0);
  CHECK(error_of(zero.base64url()) ==
        "malformed TC string: vendor id 0 (range entry 1) of the vendor legitimate interest "
        "section (vendor ids start at 1)");
}

TEST_CASE("tc string: publisher restrictions of one purpose and type are merged", "[consent][tc]") {
  BitWriter w = core();
  empty_section(w);
  empty_section(w);
  w.put(5, 12);
  w.put(2, 6).put(0, 2).put(1, 12);  // purpose 2, not allowed: 5-9
  range(w, 5, 9);
  w.put(2, 6).put(0, 2).put(2, 12);  // again: 7 and 12
  range(w, 7, 7);
  range(w, 12, 12);
  w.put(1, 6).put(1, 2).put(1, 12);  // purpose 1, require consent: 3
  range(w, 3, 3);
  w.put(2, 6).put(0, 2).put(1, 12);  // again: 10, adjacent to 5-9
  range(w, 10, 10);
  w.put(7, 6).put(3, 2).put(0, 12);  // purpose 7, undefined type, no vendors
  const auto tc = decode_tc_string(w.base64url());
  REQUIRE(tc.ok());
  const auto& r = tc->publisher_restrictions;
  REQUIRE(r.size() == 3);
  CHECK(r.entries[0] == TcPublisherRestrictions::Entry{1, TcRestrictionType::kRequireConsent});
  CHECK(r.vendor_ids(0) == std::vector<int>{3});
  CHECK(r.entries[1] == TcPublisherRestrictions::Entry{2, TcRestrictionType::kNotAllowed});
  CHECK(r.vendor_ids(1) == std::vector<int>{5, 6, 7, 8, 9, 10, 12});
  CHECK(r.entries[2] == TcPublisherRestrictions::Entry{7, TcRestrictionType::kUndefined});
  CHECK(r.vendor_ids(2).empty());
  CHECK(r.stride == 1);
  CHECK(r.words ==
        std::vector<std::uint64_t>{std::uint64_t{1} << 61,  // 3
                                   (std::uint64_t{0b111111} << 54) | (std::uint64_t{1} << 52), 0});
}

TEST_CASE("tc string: hostile counts cost only the bits that are there", "[consent][tc]") {
  SECTION("4095 range entries claimed, none present") {
    BitWriter w = core();
    w.put(65535, 16).flag(true).put(4095, 12);
    CHECK(error_of(w.base64url()) ==
          "truncated TC string: field StartOrOnlyVendorId (range entry 1) of the vendor consent "
          "section at bit 243 needs 16 bits, 3 remain");
  }
  SECTION("a 65535-bit bitfield claimed, 100 bits present") {
    BitWriter w = core();
    w.put(65535, 16).flag(false).put(0, 100);
    CHECK(error_of(w.base64url()) ==
          "truncated TC string: field BitField of the vendor consent section at bit 230 needs "
          "65535 bits, 100 remain");
  }
  SECTION("4095 restrictions claimed, one present") {
    BitWriter w = core();
    empty_section(w);
    empty_section(w);
    w.put(4095, 12).put(1, 6).put(0, 2).put(0, 12);
    CHECK(error_of(w.base64url()) ==
          "truncated TC string: field PurposeId (restriction 2) of the publisher restrictions "
          "section at bit 279 needs 6 bits, 3 remain");
  }
  SECTION("every vendor, as a full bitfield and as ranges") {
    BitWriter w = core();
    w.put(65535, 16).flag(false);
    for (int i = 0; i < 65535; ++i) w.flag(true);
    w.put(65535, 16).flag(false);
    for (int i = 0; i < 65535; ++i) w.flag(i % 2 == 0);  // 32768 runs
    // 4095 restrictions, each 1-65535 and spread over every purpose and type.
    w.put(4095, 12);
    for (int i = 0; i < 4095; ++i) {
      w.put(i % 64, 6).put((i / 64) % 4, 2).put(1, 12);
      range(w, 1, 65535);
    }
    const std::string text = w.base64url();
    REQUIRE(text.size() < limits::kMaxTcStringBytes);
    const auto tc = decode_tc_string(text);
    REQUIRE(tc.ok());
    CHECK(tc->vendor_consents.size() == 65535);
    REQUIRE(tc->vendor_consents.words.size() == 1024);
    CHECK(tc->vendor_consents.words.back() == ~std::uint64_t{0} << 1);  // no vendor 65536
    CHECK(tc->vendor_legitimate_interests.size() == 32768);
    CHECK(tc->vendor_legitimate_interests.words[0] == 0xAAAAAAAAAAAAAAAA);
    CHECK(tc->vendor_legitimate_interests.has(65535));
    CHECK_FALSE(tc->vendor_legitimate_interests.has(65534));
    CHECK(tc->vendor_legitimate_interests.ids().size() == 32768);
    const auto& r = tc->publisher_restrictions;
    REQUIRE(r.size() == 256);
    CHECK(r.stride == 1024);
    for (std::size_t i = 0; i < r.size(); ++i) {
      CHECK(std::equal(r.words.begin() + static_cast<std::ptrdiff_t>(i * 1024),
                       r.words.begin() + static_cast<std::ptrdiff_t>((i + 1) * 1024),
                       tc->vendor_consents.words.begin()));
    }
    CHECK(r.restricts(63, TcRestrictionType::kUndefined, 65535));
  }
  SECTION("past the length limit") {
    const auto tc = decode_tc_string(std::string(limits::kMaxTcStringBytes + 1, 'C'));
    REQUIRE_FALSE(tc.ok());
    CHECK(tc.status().code() == StatusCode::kLimitExceeded);
    CHECK(tc.status().message() == "TC string of 65537 bytes; at most 65536 are accepted");
  }
}

TEST_CASE("tc string: letters are A to Z", "[consent][tc]") {
  Core c;
  c.language = "E[";  // 26
  CHECK(error_of(minimal(c)) ==
        "malformed TC string: field ConsentLanguage of the core segment at bit 108 holds letter "
        "values 4 and 26; letters are 0 (A) to 25 (Z)");
}

TEST_CASE("tc string: PublisherTC with every custom purpose", "[consent][tc]") {
  BitWriter p;
  p.put(3, 3).put(0xFFFFFF, 24).put(0, 24).put(63, 6);
  for (int i = 0; i < 63; ++i) p.flag(true);
  for (int i = 0; i < 63; ++i) p.flag(i == 62);
  const auto tc = decode_tc_string(minimal() + "." + p.base64url());
  REQUIRE(tc.ok());
  REQUIRE(tc->publisher_tc.has_value());
  CHECK(tc->publisher_tc->purposes_consent.ids().size() == 24);
  CHECK(tc->publisher_tc->purposes_li_transparency.empty());
  CHECK(tc->publisher_tc->num_custom_purposes == 63);
  CHECK(tc->publisher_tc->custom_purposes_consent.bits == (std::uint64_t{1} << 63) - 1);
  CHECK(tc->publisher_tc->custom_purposes_li_transparency.ids() == std::vector<int>{63});
  CHECK_FALSE(tc->publisher_tc->custom_purposes_consent.has(64));
}

TEST_CASE("tc string: usable, or the problems that make it unusable", "[consent][tc]") {
  const auto problems = [](const Core& c) {
    const auto tc = decode_tc_string(minimal(c));
    REQUIRE(tc.ok());
    CHECK(tc->usable == tc->problems.empty());
    return tc->problems;
  };
  Core c;
  CHECK(problems(c).empty());
  c.policy_version = 3;
  c.created = kDeadline;
  CHECK(problems(c) == std::vector<std::string>{
                           "TcfPolicyVersion 3 is below 4, for a string created on 2023-10-01 "
                           "(from 2023-10-01 on, TCF 2.2 requires 4)"});
  c.created = kDeadline - 1;  // 2023-09-30T23:59:59.9Z
  CHECK(problems(c).empty());
  c.service_specific = false;
  CHECK(problems(c) == std::vector<std::string>{"not service-specific (IsServiceSpecific is 0): "
                                                "global TC strings are no longer valid"});
  c.created = kDeadline + 10;
  CHECK(problems(c).size() == 2);
  c = Core{};
  c.policy_version = 5;  // later policy versions are fine
  CHECK(problems(c).empty());
}

TEST_CASE("tc string: times keep deciseconds", "[consent][tc]") {
  CHECK(cli::format_tc_time(0) == "1970-01-01T00:00:00.0Z");
  CHECK(cli::format_tc_time(15800580607) == "2020-01-26T17:01:00.7Z");
  CHECK(cli::format_tc_time((TcDeciseconds{1} << 36) - 1) == "2187-10-06T10:21:13.5Z");
  Core c;
  c.created = (TcDeciseconds{1} << 36) - 1;
  const auto tc = decode_tc_string(minimal(c));
  REQUIRE(tc.ok());
  CHECK(tc->created == (TcDeciseconds{1} << 36) - 1);
  CHECK(tc->last_updated == kDeadline + 864000);
}

TEST_CASE("tc string: id sets", "[consent][tc]") {
  TcIdSet s;
  s.bits = 0b1011;
  CHECK(s.ids() == std::vector<int>{1, 2, 4});
  CHECK(s.has(4));
  CHECK_FALSE(s.has(0));
  CHECK_FALSE(s.has(65));
  TcVendorSet v;  // 2-4, 10 and 65535
  v.words.assign(1024, 0);
  v.words[0] = (std::uint64_t{0b0111} << 60) | (std::uint64_t{1} << 54);
  v.words[1023] = 2;
  CHECK(v.ids() == std::vector<int>{2, 3, 4, 10, 65535});
  CHECK(v.size() == 5);
  CHECK_FALSE(v.has(1));
  CHECK(v.has(2));
  CHECK(v.has(4));
  CHECK_FALSE(v.has(5));
  CHECK(v.has(65535));
  CHECK_FALSE(v.has(65536));
  CHECK_FALSE(v.has(-1));
  CHECK_FALSE(TcVendorSet{}.has(1));
}
