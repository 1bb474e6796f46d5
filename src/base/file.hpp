// Whole-file reads and writes for policies, requests and key files.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>

#include "custos/status.hpp"

namespace custos::detail {

// Reads a whole file; fails with kLimitExceeded when it is larger than
// max_bytes (checked before reading, so a huge file costs nothing).
Result<std::string> read_file(const std::string& path, std::size_t max_bytes);

// Reads a stream to its end, stopping as soon as it has more than max_bytes
// (then kLimitExceeded, naming `name`): an endless input such as /dev/zero
// costs max_bytes + 1 bytes, never all memory.
Result<std::string> read_stream(std::FILE* stream, const std::string& name, std::size_t max_bytes);

// Writes a whole file through a temporary and a rename, so a crash leaves
// either the old or the new content, never half. The file written is the one
// `path` resolves to through symlinks (a symlink stays a symlink, its target
// gets the content); the temporary is created by mkstemp beside it (a name
// no one can predict or plant a symlink at), given the file's current mode
// (a new file: 0666 less the umask), written, synced, renamed over the file,
// and the directory synced. Refuses a path that is not a regular file.
Status write_file_atomic(const std::string& path, const std::string& content);

}  // namespace custos::detail
