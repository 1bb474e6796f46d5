// Output shared by `custos matrix` and `custos diff`: loading a policy for
// analysis, and access-matrix rows as JSON, CSV and text.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "base/text.hpp"

#include "lang/checker.hpp"
#include "policy/matrix.hpp"

namespace custos::cli {

// Reads and checks a policy (its assertions are not verified: the matrix is
// how one finds out why one fails). On errors prints them to stderr and
// returns null.
std::shared_ptr<const lang::CheckedPolicy> check_policy_or_report(const std::string& path,
                                                                  const char* command);

// A row as JSON: role, action, category, purpose (lists of names, except
// action), then the access's effect, transform, rule, consent, conditional,
// conditions and retention (null where they do not apply).
nlohmann::ordered_json row_json(const detail::MatrixRow& row, const detail::Access& access);
// The access's fields alone, for a diff's `from` and `to`.
nlohmann::ordered_json access_json(const detail::Access& access);

// "support_agent, supervisor read identity.name, contact for service.support"
std::string row_scope_text(const detail::MatrixRow& row);
// "allow as mask by support-contact; consent none; retention 2y", then one
// indented line per condition.
std::string access_text(const detail::Access& access, const std::string& indent);

std::string json_text(const nlohmann::ordered_json& j);  // two-space indent, UTF-8 safe
std::string csv_field(const std::string& text);          // quoted when needed (RFC 4180)
using detail::html_escape;                               // base/text.hpp

}  // namespace custos::cli
