// A data subject's access report (GDPR Art. 15 style): JSON for machines,
// text for support staff, and one self-contained HTML page the customer can
// read, plain words first.
#include <map>

#include "audit/entry.hpp"
#include "base/text.hpp"
#include "base/time.hpp"
#include "custos/audit.hpp"

namespace custos {
namespace {

using detail::html_escape;

std::string joined(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? separator : "") + items[i];
  return out;
}

// `support_agent` -> `support agent`; `contact.email` -> `contact email`.
// "a, b and c".
std::string listed(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += (i == 0 ? "" : (i + 1 == items.size() ? " and " : "; ")) + items[i];
  }
  return out;
}

std::string words(std::string name) {
  for (char& c : name) {
    if (c == '_' || c == '.') c = ' ';
  }
  return name;
}

std::string with_article(const std::string& noun) {
  if (noun.empty()) return "someone";
  const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(noun[0])));
  return (c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' ? "an " : "a ") + noun;
}

std::string transform_words(const std::string& t) {
  if (t.empty() || t == "plain") return "";
  if (t == "hash") return " as a pseudonym";
  if (t == "mask") return ", masked";
  if (t == "year") return ", as the year only";
  if (t.rfind("truncate(", 0) == 0)
    return ", cut to its first " + t.substr(9, t.size() - 10) + " characters";
  if (t.rfind("round(", 0) == 0)
    return ", rounded down to a multiple of " + t.substr(6, t.size() - 7);
  return ", as " + t;
}

std::string verb(const std::string& action) {
  if (action == "share") return "shared";
  if (action == "erase") return "erased";
  return "read";
}

std::string date_words(Timestamp t) {
  static const char* kMonths[] = {"January",   "February", "March",    "April",
                                  "May",       "June",     "July",     "August",
                                  "September", "October",  "November", "December"};
  std::int64_t year;
  unsigned month, day;
  detail::civil_from_days(t >= 0 ? t / 86400 : (t - 86399) / 86400, &year, &month, &day);
  return std::to_string(day) + " " + kMonths[month - 1] + " " + std::to_string(year);
}

// "On 3 March 2026, a support agent read your contact email, masked, and your
// identity name, for service support." Withheld categories are named too.
std::string sentence(const AuditAccess& a) {
  std::vector<std::string> got, refused;
  for (const auto& c : a.categories) {
    (c.effect == "allow" ? got : refused)
        .push_back("your " + words(c.category) +
                   (c.effect == "allow" ? transform_words(c.transform) : ""));
  }
  const std::string who =
      with_article(a.roles.empty() ? std::string("someone") : words(joined(a.roles, " and ")));
  std::string s = "On " + date_words(a.time) + ", " + who + " ";
  if (!got.empty()) {
    s += verb(a.action) + " " + listed(got);
  } else {
    s += "asked for " + listed(refused) + " and was refused";
    refused.clear();
  }
  if (!refused.empty()) s += " (and was refused " + listed(refused) + ")";
  return s + ", for " + words(a.purpose) + ".";
}

// One access per line: `{"time": ..., ...}`, members in this order.
std::string json_report(const std::string& subject, const std::vector<AuditAccess>& accesses) {
  std::string out = "{\n  \"subject\": ";
  out.reserve(128 + 400 * accesses.size());
  detail::append_json_string(out, subject);
  out += ",\n  \"accesses\": [";
  const auto member = [&out](const char* key, std::string_view value) {
    out += key;
    detail::append_json_string(out, value);
  };
  for (std::size_t i = 0; i < accesses.size(); ++i) {
    const AuditAccess& a = accesses[i];
    out += i ? ",\n    " : "\n    ";
    member("{\"time\": ", detail::format_rfc3339(a.time));
    member(", \"actor\": ", a.actor);
    out += ", \"roles\": [";
    for (std::size_t r = 0; r < a.roles.size(); ++r) {
      if (r) out += ", ";
      detail::append_json_string(out, a.roles[r]);
    }
    member("], \"purpose\": ", a.purpose);
    member(", \"action\": ", a.action);
    out += ", \"categories\": [";
    for (std::size_t c = 0; c < a.categories.size(); ++c) {
      if (c) out += ", ";
      member("{\"category\": ", a.categories[c].category);
      member(", \"effect\": ", a.categories[c].effect);
      member(", \"transform\": ", a.categories[c].transform);
      out += '}';
    }
    member("], \"rule\": ", joined(a.rules, ", "));
    member(", \"policy\": ", a.policy);
    out += '}';
  }
  out += accesses.empty() ? "]\n}\n" : "\n  ]\n}\n";
  return out;
}

std::string text_report(const std::string& subject, const std::vector<AuditAccess>& accesses) {
  std::string out =
      "Accesses to the data of subject " + subject + ": " + std::to_string(accesses.size()) + "\n";
  for (const auto& a : accesses) {
    out += detail::format_rfc3339(a.time) + "  " + a.actor + " (" + joined(a.roles, ", ") + ")  " +
           a.action + " for " + a.purpose + "  rules: " + joined(a.rules, ", ") + "\n  " +
           sentence(a) + "\n";
  }
  return out;
}

std::string html_report(const std::string& subject, const std::vector<AuditAccess>& accesses) {
  std::map<std::string, std::vector<const AuditAccess*>> by_purpose;
  for (const auto& a : accesses) by_purpose[a.purpose].push_back(&a);
  std::string body;
  if (accesses.empty()) body += "<p>No one has used your data.</p>\n";
  for (const auto& [purpose, list] : by_purpose) {
    body += "<section>\n<h2>For " + html_escape(words(purpose)) + "</h2>\n<ul>\n";
    for (const AuditAccess* a : list) {
      body += "<li><p>" + html_escape(sentence(*a)) +
              "</p>\n<details><summary>Details</summary>\n"
              "<table>\n<tr><th>When</th><td>" +
              html_escape(detail::format_rfc3339(a->time)) + "</td></tr>\n<tr><th>Who</th><td>" +
              html_escape(a->actor) + " (" + html_escape(joined(a->roles, ", ")) +
              ")</td></tr>\n<tr><th>What</th><td>" + html_escape(a->action) + ": ";
      std::vector<std::string> categories;
      for (const auto& c : a->categories) {
        categories.push_back(c.category + " " + c.effect +
                             (c.transform.empty() ? "" : " as " + c.transform));
      }
      body += html_escape(joined(categories, "; ")) + "</td></tr>\n<tr><th>Under rules</th><td>" +
              html_escape(joined(a->rules, ", ")) + "</td></tr>\n<tr><th>Policy</th><td>" +
              html_escape(a->policy) + "</td></tr>\n<tr><th>Log entry</th><td>" +
              std::to_string(a->seq) + "</td></tr>\n</table>\n</details></li>\n";
    }
    body += "</ul>\n</section>\n";
  }
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<title>Who used your data</title>\n<style>\n"
         "body{font-family:sans-serif;max-width:46em;margin:2em auto;padding:0 1em;"
         "line-height:1.5;color:#222}\nh1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.5em}\n"
         "li{margin-bottom:.8em}details{color:#555;font-size:.9em}th{text-align:left;"
         "padding-right:1em;vertical-align:top}\n</style>\n</head>\n<body>\n"
         "<h1>Who used your data</h1>\n<p>This is every use of the data of customer " +
         html_escape(subject) + " recorded in our access log: " + std::to_string(accesses.size()) +
         (accesses.size() == 1 ? " use" : " uses") + ", grouped by why it happened.</p>\n" + body +
         "</body>\n</html>\n";
}

}  // namespace

Result<std::string> AuditReader::report(const std::string& subject, ReportFormat format,
                                        Timestamp since) const {
  auto found = accesses(subject, since);
  if (!found.ok()) return found.status();
  switch (format) {
    case ReportFormat::kText:
      return text_report(subject, *found);
    case ReportFormat::kHtml:
      return html_report(subject, *found);
    case ReportFormat::kJson:
      break;
  }
  return json_report(subject, *found);
}

Result<std::string> audit_report(const std::string& path, const std::string& subject,
                                 ReportFormat format, Timestamp since) {
  auto reader = AuditReader::open(path);
  if (!reader.ok()) return reader.status();
  return (*reader)->report(subject, format, since);
}

}  // namespace custos
