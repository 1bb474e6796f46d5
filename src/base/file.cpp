#include "base/file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

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

Status write_file_atomic(const std::string& path, const std::string& content) {
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out)
      return Status(StatusCode::kIoError, temp + ": cannot create: " + std::strerror(errno));
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) {
      std::remove(temp.c_str());
      return Status(StatusCode::kIoError, temp + ": write failed");
    }
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) {
    std::remove(temp.c_str());
    return Status(StatusCode::kIoError, path + ": cannot replace: " + ec.message());
  }
  return Status();
}

}  // namespace custos::detail
