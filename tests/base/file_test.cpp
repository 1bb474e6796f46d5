// Whole-file reads and writes: bounded reads of endless input, and atomic
// replacement that keeps the mode, writes through symlinks and follows no
// planted temporary.
#include "base/file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "catch.hpp"

using namespace custos;
namespace fs = std::filesystem;

namespace {

fs::path fresh_dir(const char* name) {
  const auto dir = fs::temp_directory_path() /
                   ("custos-file-" + std::to_string(::getpid()) + "-" + std::string(name));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string slurp(const fs::path& p) {
  auto text = detail::read_file(p.string(), 1 << 20);
  REQUIRE(text.ok());
  return *text;
}

unsigned mode_of(const fs::path& p) {
  struct stat st;
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("read_stream stops one byte past its limit", "[file]") {
  std::FILE* zero = std::fopen("/dev/zero", "rb");
  REQUIRE(zero != nullptr);
  const auto endless = detail::read_stream(zero, "standard input", 1000);
  REQUIRE_FALSE(endless.ok());
  CHECK(endless.status().code() == StatusCode::kLimitExceeded);
  CHECK(endless.status().message() == "standard input: larger than the limit of 1000 bytes");
  std::fclose(zero);

  const auto dir = fresh_dir("stream");
  {
    std::FILE* f = std::fopen((dir / "big").c_str(), "wb");
    const std::string content(5000, 'x');
    std::fwrite(content.data(), 1, content.size(), f);
    std::fclose(f);
    f = std::fopen((dir / "big").c_str(), "rb");
    CHECK_FALSE(detail::read_stream(f, "big", 1000).ok());
    CHECK(std::ftell(f) == 1001);  // read no further than needed to know
    std::fclose(f);
  }
  for (const std::size_t size : {0u, 999u, 1000u, 70000u}) {
    INFO(size);
    const auto path = dir / "s";
    {
      std::FILE* f = std::fopen(path.c_str(), "wb");
      const std::string content(size, 'x');
      std::fwrite(content.data(), 1, content.size(), f);
      std::fclose(f);
    }
    std::FILE* f = std::fopen(path.c_str(), "rb");
    const auto read = detail::read_stream(f, "s", size < 70000 ? 1000 : 70000);
    std::fclose(f);
    REQUIRE(read.ok());
    CHECK(read->size() == size);
  }
}

TEST_CASE("write_file_atomic keeps the mode and leaves no temporary", "[file]") {
  const auto dir = fresh_dir("mode");
  const auto path = dir / "p.custos";
  REQUIRE(detail::write_file_atomic(path.string(), "one\n").ok());
  ::chmod(path.c_str(), 0640);
  REQUIRE(detail::write_file_atomic(path.string(), std::string("two\0three\n", 10)).ok());
  CHECK(slurp(path) == std::string("two\0three\n", 10));  // every byte, NUL included
  CHECK(mode_of(path) == 0640);
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
  CHECK(files == 1);
}

TEST_CASE("write_file_atomic gives a new file 0666 less the umask", "[file]") {
  const auto dir = fresh_dir("new");
  const mode_t old = ::umask(027);
  const Status s = detail::write_file_atomic((dir / "n").string(), "x");
  ::umask(old);
  REQUIRE(s.ok());
  CHECK(mode_of(dir / "n") == 0640);
}

TEST_CASE("write_file_atomic writes through a symlink and ignores a planted temporary", "[file]") {
  const auto dir = fresh_dir("links");
  fs::create_directories(dir / "real");
  REQUIRE(detail::write_file_atomic((dir / "real" / "t.custos").string(), "old\n").ok());
  ::chmod((dir / "real" / "t.custos").c_str(), 0600);
  fs::create_symlink("real/t.custos", dir / "link.custos");
  REQUIRE(detail::write_file_atomic((dir / "victim").string(), "victim\n").ok());
  // Where the old code wrote its temporary: a symlink an attacker planted.
  fs::create_symlink(dir / "victim", dir / "link.custos.tmp");
  fs::create_symlink(dir / "victim", dir / "real" / "t.custos.tmp");

  REQUIRE(detail::write_file_atomic((dir / "link.custos").string(), "new\n").ok());
  CHECK(fs::is_symlink(dir / "link.custos"));
  CHECK(fs::read_symlink(dir / "link.custos") == "real/t.custos");
  CHECK(slurp(dir / "real" / "t.custos") == "new\n");
  CHECK(mode_of(dir / "real" / "t.custos") == 0600);
  CHECK(slurp(dir / "victim") == "victim\n");
  CHECK(fs::is_symlink(dir / "link.custos.tmp"));
}

TEST_CASE("write_file_atomic refuses what is not a regular file", "[file]") {
  const auto dir = fresh_dir("refuse");
  const Status on_dir = detail::write_file_atomic(dir.string(), "x");
  CHECK(on_dir.code() == StatusCode::kInvalidArgument);
  CHECK(on_dir.message() == dir.string() + ": not a regular file");
  fs::create_symlink(dir / "nowhere", dir / "dangling");
  const Status dangling = detail::write_file_atomic((dir / "dangling").string(), "x");
  CHECK(dangling.code() == StatusCode::kIoError);
  CHECK_FALSE(fs::exists(dir / "nowhere"));
  const Status no_dir = detail::write_file_atomic((dir / "missing" / "f").string(), "x");
  CHECK(no_dir.code() == StatusCode::kIoError);
}
