// Writes IAB TCF v2 TC strings with chosen fields, for the signal tests and
// the differential test's random requests (the C++ twin of
// make_tc_string.py, whose strings @iabtcf/core reads back as written).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace custos::test {

struct TcSpec {
  std::int64_t created = 1768003200;  // unix seconds; 2026-01-10T00:00:00Z
  std::int64_t updated = 1768003200;
  int version = 2;
  int policy_version = 4;
  bool service_specific = true;
  std::vector<int> purposes, li_purposes;  // PurposesConsent, PurposesLITransparency
  std::vector<int> vendors, li_vendors;    // vendor consents and legitimate interests
  struct Restriction {
    int purpose = 0;
    int type = 0;
    std::vector<int> vendors;
  };
  std::vector<Restriction> restrictions;
  struct Publisher {
    std::vector<int> purposes, li_purposes;
  };
  std::optional<Publisher> publisher;  // a PublisherTC segment
};

namespace tc_detail {

class Bits {
 public:
  void put(std::uint64_t value, int n) {
    for (int i = n - 1; i >= 0; --i) bits_.push_back(((value >> i) & 1) != 0);
  }
  void ids(const std::vector<int>& ids, int n) {
    for (int i = 1; i <= n; ++i) {
      bool has = false;
      for (int id : ids) has = has || id == i;
      bits_.push_back(has);
    }
  }
  std::string text() const {
    static const char* kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::vector<bool> b = bits_;
    while (b.size() % 8) b.push_back(false);  // whole bytes, as the spec pads
    while (b.size() % 6) b.push_back(false);  // then base64url without `=`
    std::string out;
    for (std::size_t i = 0; i < b.size(); i += 6) {
      int v = 0;
      for (std::size_t k = 0; k < 6; ++k) v = v << 1 | (b[i + k] ? 1 : 0);
      out += kAlphabet[v];
    }
    // Drop the characters that only hold the padding of the last byte.
    const std::size_t bytes = (bits_.size() + 7) / 8;
    out.resize((bytes * 8 + 5) / 6);
    return out;
  }

 private:
  std::vector<bool> bits_;
};

inline void vendor_section(Bits& w, const std::vector<int>& ids) {
  int top = 0;
  for (int id : ids) top = id > top ? id : top;
  w.put(static_cast<std::uint64_t>(top), 16);
  w.put(0, 1);  // a bitfield
  w.ids(ids, top);
}

}  // namespace tc_detail

inline std::string encode_tc(const TcSpec& s) {
  tc_detail::Bits w;
  w.put(static_cast<std::uint64_t>(s.version), 6);
  w.put(static_cast<std::uint64_t>(s.created * 10), 36);
  w.put(static_cast<std::uint64_t>(s.updated * 10), 36);
  w.put(300, 12);          // CmpId
  w.put(2, 12);            // CmpVersion
  w.put(1, 6);             // ConsentScreen
  w.put(4 << 6 | 13, 12);  // ConsentLanguage EN
  w.put(120, 12);          // VendorListVersion
  w.put(static_cast<std::uint64_t>(s.policy_version), 6);
  w.put(s.service_specific ? 1 : 0, 1);
  w.put(0, 1);   // UseNonStandardTexts
  w.put(0, 12);  // SpecialFeatureOptIns
  w.ids(s.purposes, 24);
  w.ids(s.li_purposes, 24);
  w.put(0, 1);            // PurposeOneTreatment
  w.put(3 << 6 | 4, 12);  // PublisherCC DE
  tc_detail::vendor_section(w, s.vendors);
  tc_detail::vendor_section(w, s.li_vendors);
  w.put(s.restrictions.size(), 12);
  for (const auto& r : s.restrictions) {
    w.put(static_cast<std::uint64_t>(r.purpose), 6);
    w.put(static_cast<std::uint64_t>(r.type), 2);
    w.put(r.vendors.size(), 12);
    for (int v : r.vendors) {
      w.put(0, 1);  // one vendor
      w.put(static_cast<std::uint64_t>(v), 16);
    }
  }
  std::string out = w.text();
  if (s.publisher) {
    tc_detail::Bits p;
    p.put(3, 3);
    p.ids(s.publisher->purposes, 24);
    p.ids(s.publisher->li_purposes, 24);
    p.put(0, 6);  // NumCustomPurposes
    out += "." + p.text();
  }
  return out;
}

}  // namespace custos::test
