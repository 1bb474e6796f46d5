// custos signal decode: decode a TC string and print it as JSON.
#include "cli/signal_command.hpp"

#include <cstdio>
#include <iostream>
#include <iterator>

#include "base/time.hpp"
#include "cli/commands.hpp"
#include "custos/limits.hpp"

namespace custos::cli {
namespace {

void append_string(std::string* out, const std::string& s) {
  out->push_back('"');
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      out->append(buf);
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

void append_ids(std::string* out, const std::vector<int>& ids) {
  out->push_back('[');
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out->append(", ");
    out->append(std::to_string(ids[i]));
  }
  out->push_back(']');
}

// `"name": ` at the given indent, after a comma unless it is the first.
void key(std::string* out, const char* name, int indent, bool* first) {
  if (!*first) out->push_back(',');
  *first = false;
  out->push_back('\n');
  out->append(static_cast<std::size_t>(indent), ' ');
  out->push_back('"');
  out->append(name);
  out->append("\": ");
}

}  // namespace

std::string format_tc_time(TcDeciseconds t) {
  std::string s = detail::format_rfc3339(t / 10);  // ...T17:01:00Z
  s.insert(s.size() - 1, "." + std::to_string(t % 10));
  return s;
}

std::string tc_string_json(const TcString& tc) {
  std::string out = "{";
  bool first = true;
  const auto number = [&](const char* name, long long v) {
    key(&out, name, 2, &first);
    out.append(std::to_string(v));
  };
  const auto boolean = [&](const char* name, bool v) {
    key(&out, name, 2, &first);
    out.append(v ? "true" : "false");
  };
  const auto text = [&](const char* name, const std::string& v) {
    key(&out, name, 2, &first);
    append_string(&out, v);
  };
  const auto ids = [&](const char* name, const std::vector<int>& v) {
    key(&out, name, 2, &first);
    append_ids(&out, v);
  };
  number("version", tc.version);
  text("created", format_tc_time(tc.created));
  text("lastUpdated", format_tc_time(tc.last_updated));
  number("cmpId", tc.cmp_id);
  number("cmpVersion", tc.cmp_version);
  number("consentScreen", tc.consent_screen);
  text("consentLanguage", tc.consent_language);
  number("vendorListVersion", tc.vendor_list_version);
  number("policyVersion", tc.policy_version);
  boolean("isServiceSpecific", tc.is_service_specific);
  boolean("useNonStandardTexts", tc.use_non_standard_texts);
  boolean("purposeOneTreatment", tc.purpose_one_treatment);
  text("publisherCountryCode", tc.publisher_country_code);
  ids("specialFeatureOptIns", tc.special_feature_opt_ins.ids());
  ids("purposeConsents", tc.purposes_consent.ids());
  ids("purposeLegitimateInterests", tc.purposes_li_transparency.ids());
  ids("vendorConsents", tc.vendor_consents.ids());
  ids("vendorLegitimateInterests", tc.vendor_legitimate_interests.ids());
  ids("vendorsDisclosed", tc.vendors_disclosed ? tc.vendors_disclosed->ids() : std::vector<int>{});
  ids("vendorsAllowed", tc.vendors_allowed ? tc.vendors_allowed->ids() : std::vector<int>{});
  key(&out, "publisherRestrictions", 2, &first);
  if (tc.publisher_restrictions.empty()) {
    out.append("[]");
  } else {
    out.push_back('[');
    for (std::size_t i = 0; i < tc.publisher_restrictions.size(); ++i) {
      const auto& r = tc.publisher_restrictions.entries[i];
      out.append(i > 0 ? ",\n    " : "\n    ");
      out.append("{\"purposeId\": " + std::to_string(r.purpose_id) + ", \"restrictionType\": " +
                 std::to_string(static_cast<int>(r.type)) + ", \"vendorIds\": ");
      append_ids(&out, tc.publisher_restrictions.vendor_ids(i));
      out.push_back('}');
    }
    out.append("\n  ]");
  }
  key(&out, "publisherTC", 2, &first);
  if (!tc.publisher_tc) {
    out.append("null");
  } else {
    const auto& p = *tc.publisher_tc;
    out.push_back('{');
    bool inner = true;
    key(&out, "pubPurposesConsent", 4, &inner);
    append_ids(&out, p.purposes_consent.ids());
    key(&out, "pubPurposesLITransparency", 4, &inner);
    append_ids(&out, p.purposes_li_transparency.ids());
    key(&out, "numCustomPurposes", 4, &inner);
    out.append(std::to_string(p.num_custom_purposes));
    key(&out, "customPurposesConsent", 4, &inner);
    append_ids(&out, p.custom_purposes_consent.ids());
    key(&out, "customPurposesLITransparency", 4, &inner);
    append_ids(&out, p.custom_purposes_li_transparency.ids());
    out.append("\n  }");
  }
  boolean("usable", tc.usable);
  key(&out, "problems", 2, &first);
  out.push_back('[');
  for (std::size_t i = 0; i < tc.problems.size(); ++i) {
    if (i > 0) out.append(", ");
    append_string(&out, tc.problems[i]);
  }
  out.append("]\n}\n");
  return out;
}

int run_signal(const std::vector<std::string>& raw) {
  static const char* kUsage =
      "custos signal: usage: custos signal decode TCSTRING [--format json]\n";
  if (raw.empty() || raw.front() != "decode") {
    if (!raw.empty()) {
      std::fprintf(stderr, "custos signal: unknown action `%s` (decode)\n", raw.front().c_str());
    }
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  const std::vector<std::string> rest(raw.begin() + 1, raw.end());
  const auto args = parse_args(rest, "signal", {"format"}, {});
  if (!args) return kExitUsage;
  if (args->positional.size() != 1) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  if (const auto format = args->option("format"); format && *format != "json") {
    std::fprintf(stderr, "custos signal: unknown format `%s` (json)\n", format->c_str());
    return kExitUsage;
  }
  std::string text = args->positional[0];
  if (text == "-") {
    // Read at most one byte past the limit, so the decoder reports it.
    std::string in;
    std::istreambuf_iterator<char> it(std::cin), end;
    for (; it != end && in.size() <= limits::kMaxTcStringBytes; ++it) in.push_back(*it);
    const auto b = in.find_first_not_of(" \t\r\n");
    const auto e = in.find_last_not_of(" \t\r\n");
    text = b == std::string::npos ? std::string() : in.substr(b, e - b + 1);
  }
  const auto tc = decode_tc_string(text);
  if (!tc.ok()) {
    std::fprintf(stderr, "custos signal: cannot decode the TC string: %s\n",
                 tc.status().message().c_str());
    return kExitBadInput;
  }
  std::fputs(tc_string_json(*tc).c_str(), stdout);
  return kExitOk;
}

}  // namespace custos::cli
