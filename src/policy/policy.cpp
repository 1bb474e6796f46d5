// Policy: the public face of the checker and compiler.
#include "custos/policy.hpp"

#include "base/file.hpp"
#include "custos/limits.hpp"
#include "policy/assertions.hpp"
#include "policy/compiled_policy.hpp"

namespace custos {

Policy::Policy(std::unique_ptr<const detail::CompiledPolicy> compiled)
    : compiled_(std::move(compiled)) {}
Policy::~Policy() = default;

const std::string& Policy::name() const {
  return compiled_->name;
}
std::int64_t Policy::version() const {
  return compiled_->version;
}
const std::string& Policy::sha256() const {
  return compiled_->sha256_hex;
}
std::size_t Policy::rule_count() const {
  return compiled_->rules.size();
}

Result<std::shared_ptr<const Policy>> Policy::compile(std::string_view text, std::string_view name,
                                                      std::vector<Diagnostic>* diagnostics) {
  auto analysis = detail::analyze_policy(std::string(name), std::string(text));
  if (diagnostics) *diagnostics = analysis.diagnostics;
  if (!analysis.policy) {
    std::string message = std::string(name) + ": " + std::to_string(analysis.error_count) +
                          (analysis.error_count == 1 ? " error" : " errors");
    for (const auto& d : analysis.diagnostics) {
      if (d.is_error()) {
        message += "; first: " + std::to_string(d.line) + ":" + std::to_string(d.column) + ": " +
                   d.message;
        break;
      }
    }
    return Status(StatusCode::kPolicyError, message);
  }
  // The checked tree and the text are dropped here: a compiled policy keeps
  // only what decisions read.
  auto compiled = detail::compile_policy(*analysis.policy);
  if (!compiled.ok()) return compiled.status();
  return detail::PolicyAccess::wrap(std::move(*compiled));
}

Result<std::shared_ptr<const Policy>> Policy::load(const std::string& path,
                                                   std::vector<Diagnostic>* diagnostics) {
  auto text = detail::read_file(path, limits::kMaxPolicyBytes);
  if (!text.ok()) return text.status();
  return compile(*text, path, diagnostics);
}

const char* reason_code(Reason reason) {
  switch (reason) {
    case Reason::kNone:
      return "";
    case Reason::kBadRequest:
      return "bad_request";
    case Reason::kUnknownPurpose:
      return "unknown_purpose";
    case Reason::kUnknownCategory:
      return "unknown_category";
    case Reason::kUnknownRole:
      return "unknown_role";
    case Reason::kUnboundTable:
      return "unbound_table";
    case Reason::kUnclassifiedColumn:
      return "unclassified_column";
    case Reason::kDeniedByRule:
      return "denied_by_rule";
    case Reason::kConditionError:
      return "condition_error";
    case Reason::kNoMatchingAllow:
      return "no_matching_allow";
    case Reason::kConsentMissing:
      return "consent_missing";
    case Reason::kConsentWithdrawn:
      return "consent_withdrawn";
    case Reason::kObjected:
      return "objected";
    case Reason::kRetentionExpired:
      return "retention_expired";
    case Reason::kCollectedUnknown:
      return "collected_unknown";
    case Reason::kNotRecorded:
      return "not_recorded";
  }
  return "";
}

}  // namespace custos
