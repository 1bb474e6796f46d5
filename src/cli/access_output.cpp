#include "cli/access_output.hpp"

#include <cstdio>

#include "base/file.hpp"
#include "custos/limits.hpp"

namespace custos::cli {

std::shared_ptr<const lang::CheckedPolicy> check_policy_or_report(const std::string& path,
                                                                  const char* command) {
  auto text = detail::read_file(path, limits::kMaxPolicyBytes);
  if (!text.ok()) {
    std::fprintf(stderr, "custos %s: %s\n", command, text.status().message().c_str());
    return nullptr;
  }
  auto analysis = lang::analyze(path, std::move(*text));
  if (analysis.policy) return analysis.policy;
  for (const auto& d : analysis.diagnostics) {
    if (d.is_error()) std::fputs(d.to_string().c_str(), stderr);
  }
  std::fprintf(stderr, "custos %s: %s has errors\n", command, path.c_str());
  return nullptr;
}

namespace {

nlohmann::ordered_json or_null(const std::string& s) {
  return s.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(s);
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

}  // namespace

nlohmann::ordered_json access_json(const detail::Access& a) {
  nlohmann::ordered_json j;
  j["effect"] = a.effect;
  j["transform"] = or_null(a.transform);
  j["rule"] = or_null(a.rule);
  j["consent"] = or_null(a.consent);
  j["conditional"] = a.conditional();
  j["conditions"] = a.conditions;
  j["retention"] = or_null(a.retention);
  return j;
}

nlohmann::ordered_json row_json(const detail::MatrixRow& row, const detail::Access& a) {
  nlohmann::ordered_json j;
  j["role"] = row.roles;
  j["action"] = row.action;
  j["category"] = row.categories;
  j["purpose"] = row.purposes;
  const nlohmann::ordered_json fields = access_json(a);
  for (auto it = fields.begin(); it != fields.end(); ++it) j[it.key()] = *it;
  return j;
}

std::string row_scope_text(const detail::MatrixRow& row) {
  return join(row.roles) + " " + row.action + " " + join(row.categories) + " for " +
         join(row.purposes);
}

std::string access_text(const detail::Access& a, const std::string& indent) {
  std::string out = indent;
  if (a.effect == "allow") {
    out += "allow as " + a.transform + " by " + a.rule + "; consent " + a.consent + "; retention " +
           a.retention;
  } else if (a.effect == "deny") {
    out += "deny by " + a.rule;
  } else {
    out += "no allow rule";
  }
  out += "\n";
  for (const auto& c : a.conditions) out += indent + "  if " + c + "\n";
  return out;
}

std::string json_text(const nlohmann::ordered_json& j) {
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace custos::cli
