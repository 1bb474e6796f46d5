// The pseudonym key file: created once with mode 0600, then read back; a
// FIFO, a directory, a key others can read or write, an all-zero key and an
// oversized file are refused, and none of them hangs or crashes.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "catch.hpp"
#include "custos/engine.hpp"
#include "custos/limits.hpp"

using namespace custos;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const char* name) {
  const auto dir = fs::temp_directory_path() /
                   ("custos-key-" + std::to_string(::getpid()) + "-" + std::string(name));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write_file(const fs::path& path, const std::string& text, mode_t mode) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

const std::string kHexKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

}  // namespace

TEST_CASE("pseudonym key: created with mode 0600, then read back", "[key]") {
  const auto dir = fresh_dir("create");
  const auto path = (dir / "key").string();
  auto created = load_pseudonym_key(path);
  REQUIRE(created.ok());
  CHECK(created->size() == 32);
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  auto again = load_pseudonym_key(path);
  REQUIRE(again.ok());
  CHECK(*again == *created);
  // Read-only for the owner is fine; a symlink to a private key too.
  REQUIRE(::chmod(path.c_str(), 0400) == 0);
  CHECK(load_pseudonym_key(path).ok());
  fs::create_symlink(path, dir / "link");
  auto through_link = load_pseudonym_key((dir / "link").string());
  REQUIRE(through_link.ok());
  CHECK(*through_link == *created);
}

TEST_CASE("pseudonym key: a key group or others can read or write is refused, as ssh does",
          "[key]") {
  const auto dir = fresh_dir("mode");
  const auto path = (dir / "key").string();
  for (const mode_t mode : {0640, 0604, 0620, 0602, 0644, 0666, 0610}) {
    INFO(mode);
    write_file(path, kHexKey + "\n", mode);
    const auto key = load_pseudonym_key(path);
    REQUIRE_FALSE(key.ok());
    CHECK(key.status().code() == StatusCode::kInvalidArgument);
    char shown[8];
    std::snprintf(shown, sizeof shown, "%04o", static_cast<unsigned>(mode));
    CHECK(key.status().message() == path +
                                        ": the pseudonym key is accessible by group or others "
                                        "(mode " +
                                        shown + "); run `chmod 600 " + path + "`");
  }
  write_file(path, kHexKey + "\n", 0600);
  const auto key = load_pseudonym_key(path);
  REQUIRE(key.ok());
  CHECK(key->size() == 32);
  CHECK(static_cast<unsigned char>((*key)[1]) == 0x11);
}

TEST_CASE("pseudonym key: an all-zero key is refused", "[key]") {
  const auto dir = fresh_dir("zero");
  const auto path = (dir / "key").string();
  for (const std::size_t digits : {32u, 64u}) {
    write_file(path, std::string(digits, '0') + "\n", 0600);
    const auto key = load_pseudonym_key(path);
    REQUIRE_FALSE(key.ok());
    CHECK(key.status().code() == StatusCode::kCorruption);
    CHECK(key.status().message() ==
          path +
              ": the pseudonym key is all zeros (delete the file to have a new one created, or "
              "put a random key in it)");
  }
  write_file(path, std::string(63, '0') + "1\n", 0600);
  CHECK(load_pseudonym_key(path).ok());
}

TEST_CASE("pseudonym key: what is not a key file is refused", "[key]") {
  const auto dir = fresh_dir("shapes");
  const auto directory = load_pseudonym_key(dir.string());
  REQUIRE_FALSE(directory.ok());
  CHECK(directory.status().message() ==
        dir.string() + ": not a regular file (a pseudonym key is a file of 64 hex digits)");
  const auto big = dir / "big";
  write_file(big, std::string(limits::kMaxKeyFileBytes + 1, 'a'), 0600);
  CHECK(load_pseudonym_key(big.string()).status().code() == StatusCode::kLimitExceeded);
  write_file(big, std::string(limits::kMaxKeyFileBytes - 1, 'a') + "\n", 0600);
  CHECK(load_pseudonym_key(big.string()).status().code() == StatusCode::kCorruption);  // odd
  const auto short_key = dir / "short";
  write_file(short_key, "00112233445566778899aabbccddee\n", 0600);  // 15 bytes
  CHECK(load_pseudonym_key(short_key.string()).status().code() == StatusCode::kCorruption);
}

TEST_CASE("pseudonym key: a FIFO is refused at once, without waiting for a writer", "[key]") {
  const auto dir = fresh_dir("fifo");
  const auto fifo = (dir / "key").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // In a child process, so a load that blocks (as it once did) fails the
  // test instead of hanging it.
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const auto key = load_pseudonym_key(fifo);
    const bool refused =
        !key.ok() && key.status().code() == StatusCode::kInvalidArgument &&
        key.status().message() ==
            fifo + ": not a regular file (a pseudonym key is a file of 64 hex digits)";
    ::_exit(refused ? 0 : 1);
  }
  int status = 0;
  bool finished = false;
  for (int i = 0; i < 500 && !finished; ++i) {  // up to 5 s
    finished = ::waitpid(child, &status, WNOHANG) == child;
    if (!finished) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!finished) {
    ::kill(child, SIGKILL);
    ::waitpid(child, &status, 0);
  }
  CHECK(finished);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
