// Policy: a checked, compiled, immutable policy.
//
//   std::vector<custos::Diagnostic> diagnostics;
//   auto policy = custos::Policy::load("crm.custos", &diagnostics);
//   if (!policy.ok()) {
//     for (const auto& d : diagnostics) std::cerr << d.to_string();
//     return;
//   }
//   custos::Engine engine(*policy);
//
// Compiling turns names into small integer ids, hierarchies into ancestor
// tables, rules into an index by (action, purpose, category) and conditions
// into bytecode, so that deciding never scans the whole policy. The policy's
// assertions (`assert never ...`) are verified first: a broken one is an
// error like any other. A Policy is shared as std::shared_ptr<const Policy>
// and never changes.
// Thread-safety: immutable; share it across threads freely.
#ifndef CUSTOS_POLICY_HPP
#define CUSTOS_POLICY_HPP

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "custos/diagnostic.hpp"
#include "custos/export.hpp"
#include "custos/status.hpp"

namespace custos {

namespace detail {
struct CompiledPolicy;
class PolicyAccess;  // the engine's way in (src/policy/compiled_policy.hpp)
}  // namespace detail

class CUSTOS_EXPORT Policy {
 public:
  // Checks and compiles policy text. `name` is the file name used in
  // diagnostics and default rule ids. On errors, returns kPolicyError and,
  // when `diagnostics` is given, fills it with every error and warning.
  // Warnings of a valid policy are reported there too.
  static Result<std::shared_ptr<const Policy>> compile(
      std::string_view text, std::string_view name, std::vector<Diagnostic>* diagnostics = nullptr);

  // Reads and compiles a policy file.
  static Result<std::shared_ptr<const Policy>> load(const std::string& path,
                                                    std::vector<Diagnostic>* diagnostics = nullptr);

  ~Policy();
  Policy(const Policy&) = delete;
  Policy& operator=(const Policy&) = delete;

  const std::string& name() const;  // from `policy "NAME" version N`
  std::int64_t version() const;
  // SHA-256 of the policy text, 64 lowercase hex digits: which text decided.
  const std::string& sha256() const;
  std::size_t rule_count() const;

 private:
  friend class detail::PolicyAccess;
  CUSTOS_NO_EXPORT explicit Policy(std::unique_ptr<const detail::CompiledPolicy> compiled);
  std::unique_ptr<const detail::CompiledPolicy> compiled_;
};

}  // namespace custos

#endif  // CUSTOS_POLICY_HPP
