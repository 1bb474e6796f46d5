// The pseudonym key of the `hash` transform: a secret file, never a constant.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/file.hpp"
#include "crypto/crypto.hpp"
#include "custos/engine.hpp"
#include "engine/transform.hpp"

namespace custos {
namespace {

constexpr std::size_t kKeyBytes = 32;

Result<std::string> create_key(const std::string& path) {
  std::uint8_t key[kKeyBytes];
  if (Status s = crypto::random_bytes(key, sizeof key); !s.ok()) return s;
  const std::string text = crypto::to_hex(key, sizeof key) + "\n";
  // O_EXCL: never overwrite a key that appeared meanwhile; 0600: the key is
  // a secret of the service account.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status(StatusCode::kIoError,
                  path + ": cannot create pseudonym key: " + std::strerror(errno));
  }
  const ssize_t written = ::write(fd, text.data(), text.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (written != static_cast<ssize_t>(text.size()) || !synced) {
    ::unlink(path.c_str());
    return Status(StatusCode::kIoError, path + ": cannot write pseudonym key");
  }
  return std::string(reinterpret_cast<const char*>(key), sizeof key);
}

}  // namespace

Result<std::string> load_pseudonym_key(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return create_key(path);
    return Status(StatusCode::kIoError, path + ": " + std::strerror(errno));
  }
  auto text = detail::read_file(path, 1024);
  if (!text.ok()) return text.status();
  std::string hex = *text;
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r' || hex.back() == ' ')) {
    hex.pop_back();
  }
  std::string key;
  if (!crypto::from_hex(hex, &key) || key.size() < detail::kMinPseudonymKeyBytes) {
    return Status(StatusCode::kCorruption,
                  path + ": not a pseudonym key (expected at least 32 hex digits)");
  }
  return key;
}

}  // namespace custos
