// Signed policy bundles (policy-lang/BUNDLE.md).
#include "custos/bundle.hpp"

#include <nlohmann/json.hpp>

#include "base/file.hpp"
#include "base/time.hpp"
#include "crypto/crypto.hpp"
#include "custos/limits.hpp"

namespace custos {
namespace {

using nlohmann::json;

constexpr const char* kFormat = "custos-bundle-v1";

std::string canonical(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::strict);
}

std::string signed_message(const json& manifest) {
  return std::string(kFormat) + "\n" + canonical(manifest);
}

std::string sha256_hex(std::string_view text) {
  const crypto::Digest d = crypto::sha256(text);
  return crypto::to_hex(d.data(), d.size());
}

Status refused(const std::string& why) {
  return Status(StatusCode::kCorruption, "bundle refused: " + why);
}

}  // namespace

Result<std::string> create_bundle(std::string_view policy_text, std::string_view file_name,
                                  const std::string& private_key_pem, Timestamp created,
                                  std::vector<Diagnostic>* diagnostics) {
  auto policy = Policy::compile(policy_text, file_name, diagnostics);
  if (!policy.ok()) return policy.status();
  json manifest = {{"name", (*policy)->name()},
                   {"version", (*policy)->version()},
                   {"created", detail::format_rfc3339(created)},
                   {"sha256", sha256_hex(policy_text)}};
  auto signature = crypto::ed25519_sign(private_key_pem, signed_message(manifest));
  if (!signature.ok()) return signature.status();
  json bundle = {
      {"format", kFormat},
      {"manifest", manifest},
      {"policy", std::string(policy_text)},
      {"signature", crypto::to_hex(reinterpret_cast<const std::uint8_t*>(signature->data()),
                                   signature->size())}};
  try {
    return canonical(bundle) + "\n";
  } catch (const json::exception&) {
    return Status(StatusCode::kInvalidArgument, "a policy text must be UTF-8");
  }
}

Result<BundleManifest> verify_bundle(std::string_view bundle,
                                     const std::string& trusted_public_key_pem,
                                     std::string* policy_text) {
  if (bundle.size() > limits::kMaxPolicyBytes * 2 + 64 * 1024) {
    return Status(StatusCode::kLimitExceeded, "bundle refused: larger than any bundle can be");
  }
  if (bundle.empty() || bundle.back() != '\n') return refused("not a Custos bundle");
  const std::string_view body = bundle.substr(0, bundle.size() - 1);
  const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return refused("not a Custos bundle");
  // A bundle is canonical JSON: a changed byte anywhere (even a space, or a
  // repeated key) makes it another document.
  std::string again;
  try {
    again = canonical(j);
  } catch (const json::exception&) {
    return refused("not a Custos bundle");
  }
  // A member of the right type, or null: never operator[] on a const
  // object (undefined for a missing key) nor value() (throws on a type).
  const auto member = [](const json& object, const char* name, json::value_t type) -> const json* {
    const auto it = object.find(name);
    return it != object.end() && it->type() == type ? &*it : nullptr;
  };
  const json* format = member(j, "format", json::value_t::string);
  if (again != body || j.size() != 4 || !format || *format != kFormat) {
    return refused("not a canonical " + std::string(kFormat) + " document (was a byte changed?)");
  }
  const json* manifest = member(j, "manifest", json::value_t::object);
  if (!manifest || manifest->size() != 4 || !member(*manifest, "name", json::value_t::string) ||
      !(manifest->contains("version") && (*manifest)["version"].is_number_integer()) ||
      !member(*manifest, "created", json::value_t::string) ||
      !member(*manifest, "sha256", json::value_t::string) ||
      !member(j, "policy", json::value_t::string) ||
      !member(j, "signature", json::value_t::string)) {
    return refused("its manifest is malformed");
  }
  const json& m = *manifest;
  // Lowercase hex only: one bundle, one spelling.
  std::string signature;
  const std::string signature_hex = j.at("signature").get<std::string>();
  if (!crypto::from_hex(signature_hex, &signature) || signature.size() != 64 ||
      crypto::to_hex(reinterpret_cast<const std::uint8_t*>(signature.data()), signature.size()) !=
          signature_hex) {
    return refused("its signature is malformed");
  }
  const Status verified =
      crypto::ed25519_verify(trusted_public_key_pem, signed_message(m), signature);
  if (verified.code() == StatusCode::kInvalidArgument) {
    return Status(StatusCode::kInvalidArgument, "the trusted key is " + verified.message());
  }
  if (!verified.ok()) {
    return refused(
        "its signature does not verify under the trusted key (changed, or signed by "
        "another key)");
  }
  const std::string text = j.at("policy").get<std::string>();
  if (sha256_hex(text) != m.at("sha256").get<std::string>()) {
    return refused("its policy text does not match the signed SHA-256");
  }
  BundleManifest out;
  out.name = m.at("name").get<std::string>();
  out.version = m.at("version").get<std::int64_t>();
  out.sha256 = m.at("sha256").get<std::string>();
  const auto created = detail::parse_rfc3339(m.at("created").get<std::string>());
  if (!created) return refused("its creation time is malformed");
  out.created = *created;
  if (policy_text) *policy_text = text;
  return out;
}

Result<std::shared_ptr<const Policy>> load_bundle(const std::string& path,
                                                  const std::string& trusted_public_key_pem) {
  auto bytes = detail::read_file(path, limits::kMaxPolicyBytes * 2 + 64 * 1024);
  if (!bytes.ok()) return bytes.status();
  std::string text;
  auto manifest = verify_bundle(*bytes, trusted_public_key_pem, &text);
  if (!manifest.ok()) {
    return Status(manifest.status().code(), path + ": " + manifest.status().message());
  }
  auto policy = Policy::compile(text, path);
  if (!policy.ok()) return policy.status();
  if ((*policy)->name() != manifest->name || (*policy)->version() != manifest->version) {
    return Status(StatusCode::kCorruption,
                  path + ": bundle refused: its manifest names another policy than its text");
  }
  return *policy;
}

}  // namespace custos
