// Signed policy bundles: how a security team ships a policy to devices that
// must only ever run a policy the team signed.
//
//   // the team (custos bundle create POLICY --key team.pem -o crm.bundle):
//   auto bundle = custos::create_bundle(text, "crm.custos", private_pem, now);
//   // a device:
//   auto policy = custos::load_bundle("crm.bundle", trusted_public_pem);
//   if (!policy.ok()) refuse(policy.status().message());
//   engine.upgrade(*policy);   // refuses a downgrade, keeps the old policy
//
// A bundle is one canonical JSON document holding the policy text, a
// manifest (name, version, creation time, SHA-256 of the text) and an
// Ed25519 signature of the manifest; policy-lang/BUNDLE.md specifies it for
// verifiers in other languages. Any changed byte, or a signature by another
// key, refuses the bundle. Thread-safety: free functions, no shared state.
#ifndef CUSTOS_BUNDLE_HPP
#define CUSTOS_BUNDLE_HPP

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "custos/diagnostic.hpp"
#include "custos/export.hpp"
#include "custos/policy.hpp"
#include "custos/status.hpp"
#include "custos/value.hpp"

namespace custos {

struct BundleManifest {
  std::string name;          // the policy header's name
  std::int64_t version = 0;  // the policy header's version
  Timestamp created = 0;
  std::string sha256;  // of the policy text, 64 lowercase hex digits
};

// The bundle (its bytes) of a policy text, signed with an Ed25519 private
// key (PEM). The text must compile: its header gives the manifest's name and
// version. `file_name` names it in diagnostics.
CUSTOS_EXPORT Result<std::string> create_bundle(std::string_view policy_text,
                                                std::string_view file_name,
                                                const std::string& private_key_pem,
                                                Timestamp created,
                                                std::vector<Diagnostic>* diagnostics = nullptr);

// Checks a bundle's bytes against a trusted public key (PEM): canonical
// form, the text's SHA-256, the signature, and that the text's header agrees
// with the manifest. kCorruption says what failed; `policy_text` receives
// the text.
CUSTOS_EXPORT Result<BundleManifest> verify_bundle(std::string_view bundle,
                                                   const std::string& trusted_public_key_pem,
                                                   std::string* policy_text = nullptr);

// Reads, verifies and compiles a bundle file.
CUSTOS_EXPORT Result<std::shared_ptr<const Policy>> load_bundle(
    const std::string& path, const std::string& trusted_public_key_pem);

}  // namespace custos

#endif  // CUSTOS_BUNDLE_HPP
