// The pseudonym key of the `hash` transform: a secret file, never a constant.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "crypto/crypto.hpp"
#include "custos/engine.hpp"
#include "custos/limits.hpp"
#include "engine/transform.hpp"

namespace custos {
namespace {

constexpr std::size_t kKeyBytes = 32;

// Creates the key file; *exists says it appeared meanwhile (then nothing was
// written).
Result<std::string> create_key(const std::string& path, bool* exists) {
  *exists = false;
  std::uint8_t key[kKeyBytes];
  if (Status s = crypto::random_bytes(key, sizeof key); !s.ok()) return s;
  const std::string text = crypto::to_hex(key, sizeof key) + "\n";
  // O_EXCL: never overwrite a key that appeared meanwhile; 0600: the key is
  // a secret of the service account.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    *exists = errno == EEXIST;
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

// The mode bits that let anyone but the owner read or change the key.
constexpr mode_t kGroupOrOthers = 077;

// Reads the key file open at `fd` (already known to be a regular file).
Result<std::string> read_key_text(int fd, const std::string& path) {
  std::string text;
  char buffer[512];
  while (text.size() <= limits::kMaxKeyFileBytes) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status(StatusCode::kIoError,
                    path + ": cannot read pseudonym key: " + std::strerror(errno));
    }
    if (n == 0) return text;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return Status(StatusCode::kLimitExceeded, path + ": larger than the limit of " +
                                                std::to_string(limits::kMaxKeyFileBytes) +
                                                " bytes (not a pseudonym key)");
}

}  // namespace

Result<std::string> load_pseudonym_key(const std::string& path) {
  // O_NONBLOCK: opening a FIFO (or a device) must not wait for a writer; it
  // is refused below, before anything is read.
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    bool exists = false;
    auto created = create_key(path, &exists);
    // Another process may have created it meanwhile: then read that one.
    if (created.ok() || !exists) return created;
    fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  }
  if (fd < 0) {
    return Status(StatusCode::kIoError,
                  path + ": cannot open pseudonym key: " + std::strerror(errno));
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  // Checked on the open file itself, so the file checked is the file read.
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    return Status(StatusCode::kIoError, path + ": " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return Status(StatusCode::kInvalidArgument,
                  path + ": not a regular file (a pseudonym key is a file of 64 hex digits)");
  }
  if ((st.st_mode & kGroupOrOthers) != 0) {
    // As ssh does for private keys: a secret others can read is no secret,
    // and one others can write can be swapped for a key they know.
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status(StatusCode::kInvalidArgument,
                  path + ": the pseudonym key is accessible by group or others (mode " + mode +
                      "); run `chmod 600 " + path + "`");
  }
  auto text = read_key_text(fd, path);
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
  if (key.find_first_not_of('\0') == std::string::npos) {
    // A placeholder, not a secret: anyone could recompute every pseudonym.
    return Status(StatusCode::kCorruption,
                  path +
                      ": the pseudonym key is all zeros (delete the file to have a new one "
                      "created, or put a random key in it)");
  }
  return key;
}

}  // namespace custos
