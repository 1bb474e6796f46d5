#include "base/file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace custos::detail {

Result<std::string> read_file(const std::string& path, std::size_t max_bytes) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    return Status(StatusCode::kNotFound, path + ": no such file");
  }
  if (std::filesystem::is_directory(status)) {
    return Status(StatusCode::kInvalidArgument, path + ": is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(StatusCode::kIoError, path + ": cannot open: " + std::strerror(errno));
  std::string content;
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    content.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (content.size() > max_bytes) {
      return Status(StatusCode::kLimitExceeded,
                    path + ": larger than the limit of " + std::to_string(max_bytes) + " bytes");
    }
  }
  if (in.bad()) return Status(StatusCode::kIoError, path + ": read failed");
  return content;
}

Result<std::string> read_stream(std::FILE* stream, const std::string& name, std::size_t max_bytes) {
  std::string content;
  char buffer[1 << 16];
  while (content.size() <= max_bytes) {
    // Never ask for more than one byte past the limit.
    const std::size_t want = std::min(sizeof buffer, max_bytes + 1 - content.size());
    const std::size_t got = std::fread(buffer, 1, want, stream);
    content.append(buffer, got);
    if (got < want) {
      if (std::ferror(stream)) return Status(StatusCode::kIoError, name + ": read failed");
      break;  // end of input
    }
  }
  if (content.size() > max_bytes) {
    return Status(StatusCode::kLimitExceeded,
                  name + ": larger than the limit of " + std::to_string(max_bytes) + " bytes");
  }
  return content;
}

namespace {

std::string errno_text() {
  return std::strerror(errno);
}

// The mode open(2) gives a new file: 0666 less the umask. The umask is read
// from /proc (reading it with umask(2) means changing it, which races with
// other threads creating files); where /proc cannot tell, 0600.
mode_t new_file_mode() {
  std::FILE* status = std::fopen("/proc/self/status", "r");
  if (!status) return 0600;
  char line[256];
  unsigned mask = 0;
  bool found = false;
  while (std::fgets(line, sizeof line, status)) {
    if (std::sscanf(line, "Umask: %o", &mask) == 1) {
      found = true;
      break;
    }
  }
  std::fclose(status);
  return found ? static_cast<mode_t>(0666 & ~mask) : 0600;
}

// write(2) until done, through partial writes and signals.
bool write_all(int fd, const std::string& content) {
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

Status write_file_atomic(const std::string& path, const std::string& content) {
  // The file to replace is the one at the end of any symlinks: a symlinked
  // policy stays a symlink, and its target gets the new content.
  std::string target;
  struct stat st;
  bool exists = false;
  if (char* resolved = ::realpath(path.c_str(), nullptr)) {
    target = resolved;
    std::free(resolved);
    if (::stat(target.c_str(), &st) != 0)
      return Status(StatusCode::kIoError, path + ": " + errno_text());
    if (!S_ISREG(st.st_mode)) {
      return Status(StatusCode::kInvalidArgument, path + ": not a regular file");
    }
    exists = true;
  } else if (errno == ENOENT && ::lstat(path.c_str(), &st) != 0) {
    // A new file: beside the others in its (resolved) directory.
    const std::filesystem::path p(path);
    const std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
    char* resolved_dir = ::realpath(dir.c_str(), nullptr);
    if (!resolved_dir) return Status(StatusCode::kIoError, dir + ": " + errno_text());
    target = std::string(resolved_dir) + "/" + p.filename().string();
    std::free(resolved_dir);
  } else {
    // Unreadable directories, a symlink that leads nowhere, a loop.
    return Status(StatusCode::kIoError, path + ": cannot resolve: " + errno_text());
  }
  const std::filesystem::path resolved(target);
  const std::string dir = resolved.parent_path().string();

  // mkstemp: a name no one can predict, created with O_EXCL, so nothing
  // planted beside the file (a symlink at POLICY.tmp) is followed.
  std::string temp = dir + "/." + resolved.filename().string() + ".XXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) {
    return Status(StatusCode::kIoError,
                  path + ": cannot create a temporary file in " + dir + ": " + errno_text());
  }
  const auto fail = [&](const std::string& what) {
    const std::string why = errno_text();
    ::close(fd);
    ::unlink(temp.c_str());
    return Status(StatusCode::kIoError, path + ": " + what + ": " + why);
  };
  // The new file keeps the old one's permissions (mkstemp made it 0600).
  const mode_t mode = exists ? (st.st_mode & 07777) : new_file_mode();
  if (::fchmod(fd, mode) != 0) return fail("cannot set the mode of the new file");
  if (!write_all(fd, content)) return fail("write failed");
  if (::fsync(fd) != 0) return fail("cannot sync the new file");
  if (::close(fd) != 0) {
    const std::string why = errno_text();
    ::unlink(temp.c_str());
    return Status(StatusCode::kIoError, path + ": write failed: " + why);
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    const std::string why = errno_text();
    ::unlink(temp.c_str());
    return Status(StatusCode::kIoError, path + ": cannot replace " + target + ": " + why);
  }
  // The rename is durable once the directory is synced.
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    const bool synced = ::fsync(dir_fd) == 0;
    ::close(dir_fd);
    if (!synced) return Status(StatusCode::kIoError, dir + ": cannot sync: " + errno_text());
  }
  return Status();
}

}  // namespace custos::detail
