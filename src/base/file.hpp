// Whole-file reads and writes for policies, requests and key files.
#pragma once

#include <cstddef>
#include <string>

#include "custos/status.hpp"

namespace custos::detail {

// Reads a whole file; fails with kLimitExceeded when it is larger than
// max_bytes (checked before reading, so a huge file costs nothing).
Result<std::string> read_file(const std::string& path, std::size_t max_bytes);

// Writes a whole file through a temporary in the same directory and a
// rename, so a crash leaves either the old or the new content, never half.
Status write_file_atomic(const std::string& path, const std::string& content);

}  // namespace custos::detail
