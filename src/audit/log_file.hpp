// The audit log's file (FORMAT.md, section 2): opening and checking it, its
// schema, and small helpers shared by the writer, the verifier and the
// readers.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/crypto.hpp"
#include "custos/status.hpp"

namespace custos::audit {

inline constexpr int kApplicationId = 0x43555341;  // 'CUSA'
inline constexpr int kSchemaVersion = 1;
// Above this many subjects an entry stores them as a set (FORMAT.md 3.2).
inline constexpr std::size_t kMaxListedSubjects = 64;

// A prepared statement, finalized when it goes out of scope.
struct Statement {
  sqlite3_stmt* stmt = nullptr;
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt); }
};

// An open log file. `create`: make the file and its schema when absent.
struct LogFile {
  sqlite3* db = nullptr;
  std::string path;
  bool keyed = false;  // chain hmac-sha256 (else sha256)
  LogFile() = default;
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;
  ~LogFile() { sqlite3_close_v2(db); }

  Status error(const std::string& what) const;
  Status prepare(const char* sql, Statement& s) const;
};

Status open_log(const std::string& path, bool create, bool keyed_if_created, LogFile& out);

// h_n from h_{n-1} and the entry's bytes (FORMAT.md, section 4).
crypto::Digest chain_hash(const crypto::HmacSha256* hasher, const crypto::Digest& previous,
                          std::string_view entry);

// Subject ids in the log's order: decimal integers first, numerically, then
// the others by their bytes; each once.
// Whether `subjects` is already in sort_subjects() order, each once.
bool subjects_sorted(const std::vector<std::string>& subjects);
void sort_subjects(std::vector<std::string>& subjects);
// The stored encoding of a subject set: each id followed by 0x0A.
std::string encode_subject_set(const std::vector<std::string>& subjects);
std::vector<std::string> decode_subject_set(std::string_view data);

std::string hex(const crypto::Digest& d);
bool is_decimal(std::string_view s);

}  // namespace custos::audit
