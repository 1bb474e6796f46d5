// custos keygen and custos bundle: Ed25519 keys, and signed policy bundles
// (policy-lang/BUNDLE.md).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "base/file.hpp"
#include "base/time.hpp"
#include "cli/cli_util.hpp"
#include "cli/commands.hpp"
#include "crypto/crypto.hpp"
#include "custos/bundle.hpp"
#include "custos/limits.hpp"

namespace custos::cli {
namespace {

// Writes a new file with `mode`; never replaces an existing one.
bool write_new_file(const std::string& path, const std::string& content, mode_t mode,
                    const char* command) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    std::fprintf(stderr, "custos %s: %s: %s\n", command, path.c_str(),
                 errno == EEXIST ? "already exists (not replaced)" : std::strerror(errno));
    return false;
  }
  const bool ok =
      ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
      ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    std::fprintf(stderr, "custos %s: %s: cannot write\n", command, path.c_str());
  }
  return ok;
}

bool read_text(const std::string& path, std::size_t limit, std::string& out, const char* command) {
  auto text = detail::read_file(path, limit);
  if (!text.ok()) {
    std::fprintf(stderr, "custos %s: %s\n", command, text.status().message().c_str());
    return false;
  }
  out = std::move(*text);
  return true;
}

}  // namespace

int run_keygen(const std::vector<std::string>& raw) {
  const auto args = parse_args(raw, "keygen", {}, {});
  if (!args) return kExitUsage;
  if (args->positional.size() != 2) {
    std::fprintf(stderr, "custos keygen: usage: custos keygen PRIVATE.pem PUBLIC.pem\n");
    return kExitUsage;
  }
  auto keys = crypto::ed25519_generate();
  if (!keys.ok()) {
    std::fprintf(stderr, "custos keygen: %s\n", keys.status().message().c_str());
    return kExitBadInput;
  }
  // The private key is a secret of its owner: 0600, like ssh-keygen.
  if (!write_new_file(args->positional[0], keys->private_pem, 0600, "keygen")) return kExitBadInput;
  if (!write_new_file(args->positional[1], keys->public_pem, 0644, "keygen")) {
    ::unlink(args->positional[0].c_str());
    return kExitBadInput;
  }
  std::printf("Ed25519 key pair: private %s (mode 0600), public %s\n", args->positional[0].c_str(),
              args->positional[1].c_str());
  return kExitOk;
}

int run_bundle(const std::vector<std::string>& raw) {
  if (raw.empty() || (raw[0] != "create" && raw[0] != "verify")) {
    std::fprintf(stderr,
                 "custos bundle: usage: custos bundle create POLICY --key PRIVATE.pem -o FILE\n"
                 "                      custos bundle verify FILE --pubkey PUBLIC.pem\n");
    return kExitUsage;
  }
  const std::vector<std::string> rest(raw.begin() + 1, raw.end());
  if (raw[0] == "create") {
    // -o is the one short option of the command line: read it as --out.
    std::vector<std::string> renamed;
    for (const auto& a : rest) renamed.push_back(a == "-o" ? "--out" : a);
    const auto args = parse_args(renamed, "bundle", {"key", "out", "now"}, {});
    if (!args) return kExitUsage;
    if (args->positional.size() != 1 || !args->option("key") || !args->option("out")) {
      std::fprintf(stderr,
                   "custos bundle: usage: custos bundle create POLICY --key PRIVATE.pem -o FILE\n");
      return kExitUsage;
    }
    std::string text, key;
    if (!read_text(args->positional[0], limits::kMaxPolicyBytes, text, "bundle") ||
        !read_text(*args->option("key"), 64 * 1024, key, "bundle")) {
      return kExitBadInput;
    }
    Timestamp created = detail::now_unix();
    if (const auto now = args->option("now")) {
      const auto t = parse_time_option(*now, "bundle", "now");
      if (!t) return kExitBadInput;
      created = *t;
    }
    std::vector<Diagnostic> diagnostics;
    auto bundle = create_bundle(text, args->positional[0], key, created, &diagnostics);
    if (!bundle.ok()) {
      bool printed = false;
      for (const auto& d : diagnostics) {
        if (!d.is_error()) continue;
        std::fputs(d.to_string().c_str(), stderr);
        printed = true;
      }
      if (!printed) std::fprintf(stderr, "custos bundle: %s\n", bundle.status().message().c_str());
      return kExitBadInput;
    }
    if (!write_new_file(*args->option("out"), *bundle, 0644, "bundle")) return kExitBadInput;
    std::printf("%s: signed bundle of %s\n", args->option("out")->c_str(),
                args->positional[0].c_str());
    return kExitOk;
  }
  const auto args = parse_args(rest, "bundle", {"pubkey"}, {});
  if (!args) return kExitUsage;
  if (args->positional.size() != 1 || !args->option("pubkey")) {
    std::fprintf(stderr, "custos bundle: usage: custos bundle verify FILE --pubkey PUBLIC.pem\n");
    return kExitUsage;
  }
  std::string bundle, key;
  if (!read_text(args->positional[0], limits::kMaxPolicyBytes * 2 + 64 * 1024, bundle, "bundle") ||
      !read_text(*args->option("pubkey"), 64 * 1024, key, "bundle")) {
    return kExitBadInput;
  }
  auto manifest = verify_bundle(bundle, key);
  if (!manifest.ok()) {
    std::fprintf(stderr, "custos bundle: %s: %s\n", args->positional[0].c_str(),
                 manifest.status().message().c_str());
    return kExitBadInput;
  }
  std::printf("%s: ok: policy \"%s\" version %lld, created %s, sha256 %s\n",
              args->positional[0].c_str(), manifest->name.c_str(),
              static_cast<long long>(manifest->version),
              detail::format_rfc3339(manifest->created).c_str(), manifest->sha256.c_str());
  return kExitOk;
}

}  // namespace custos::cli
