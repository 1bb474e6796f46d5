#include "audit/entry.hpp"

#include "audit/log_file.hpp"
#include "base/time.hpp"
#include "crypto/crypto.hpp"

namespace custos::audit {
namespace {

const char* kind_name(AccessRecord::Kind kind) {
  switch (kind) {
    case AccessRecord::Kind::kRead:
      return "read";
    case AccessRecord::Kind::kDecision:
      return "decision";
    case AccessRecord::Kind::kPurge:
      return "purge";
  }
  return "read";
}

}  // namespace

std::string canonical(const nlohmann::json& value) {
  // nlohmann::json keeps object keys in a std::map: sorted by their bytes.
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

PendingEntry make_entry(const AccessRecord& r) {
  PendingEntry out;
  nlohmann::json& e = out.entry;
  e["time"] = detail::format_rfc3339(r.time);
  e["kind"] = kind_name(r.kind);
  e["actor"] = r.actor;
  e["roles"] = r.roles;
  e["purpose"] = r.purpose;
  e["action"] = r.action;
  nlohmann::json categories = nlohmann::json::array();
  std::vector<std::string> rules;
  for (const auto& c : r.columns) {
    nlohmann::json reasons = nlohmann::json::array();
    for (Reason reason : c.withheld) reasons.push_back(reason_code(reason));
    categories.push_back({{"table", c.table},
                          {"column", c.column},
                          {"category", c.category},
                          {"effect", c.allowed ? "allow" : "deny"},
                          {"transform", c.allowed ? c.transform.to_string() : std::string()},
                          {"rule", c.rule},
                          {"reasons", reasons}});
    if (!c.rule.empty()) rules.push_back(c.rule);
  }
  std::sort(rules.begin(), rules.end());
  rules.erase(std::unique(rules.begin(), rules.end()), rules.end());
  e["categories"] = std::move(categories);
  e["rules"] = rules;
  e["rows"] = r.rows;
  e["sql"] = r.sql;
  e["fingerprint"] = r.sql.empty() ? std::string() : r.fingerprint;
  e["refused"] = r.refused;
  e["refusal"] = r.refusal;
  e["policy"] = {{"name", std::string(r.policy.name())},
                 {"version", r.policy.version},
                 {"sha256", r.policy.sha256_hex()}};
  out.subjects = r.subjects;
  sort_subjects(out.subjects);
  if (out.subjects.size() > kMaxListedSubjects) {
    const crypto::Digest d = crypto::sha256(encode_subject_set(out.subjects));
    e["subjects"] = {{"count", out.subjects.size()}, {"sha256", hex(d)}};
  } else {
    e["subjects"] = out.subjects;
  }
  return out;
}

std::string finish_entry(PendingEntry& pending, std::uint64_t seq) {
  pending.entry["seq"] = seq;
  return canonical(pending.entry);
}

}  // namespace custos::audit
