// Entries (FORMAT.md, section 3): from an AccessRecord to canonical JSON.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "custos/access_record.hpp"

namespace custos::audit {

// An entry waiting for its number: its canonical text around `seq`, made
// on the caller's thread so the writer thread only joins the parts, and its
// subjects (sorted) for the index, or their encoded set.
struct PendingEntry {
  std::uint64_t ticket = 0;
  std::string before_seq;  // `{"action":...,"rules":[...],` (members sorting before seq)
  std::string after_seq;   // `,"sql":...,"time":"..."}` (members sorting after it)
  std::vector<std::string> subjects;
  std::string encoded_set;  // FORMAT.md 3.2, when subjects are a set; else empty
};

PendingEntry make_entry(const AccessRecord& record);
// The entry's canonical text, numbered `seq`.
std::string finish_entry(const PendingEntry& pending, std::uint64_t seq);
// Canonical JSON of any value (sorted keys, compact, UTF-8).
std::string canonical(const nlohmann::json& value);

}  // namespace custos::audit

namespace custos::audit {

// What verification needs from a stored entry, read without building a JSON
// tree: its number and its subjects.
struct EntryShape {
  std::uint64_t seq = 0;
  bool subject_set = false;         // `subjects` is {"count", "sha256"}
  std::vector<std::string> listed;  // the ids, when `subjects` is an array
  std::uint64_t set_count = 0;      // when it is a set
  std::string set_sha256;           // when it is a set
};

// Reads `text` as an entry: one JSON object with exactly the members of
// FORMAT.md 3.2, keys in canonical order, no whitespace, each member of its
// type, nested values well-formed JSON. False when it is not.
bool scan_entry(std::string_view text, EntryShape& out);

}  // namespace custos::audit

namespace custos::audit {

// What a report needs from a stored entry (FORMAT.md 3.2), read in one pass.
struct ScannedAccess {
  std::string time, kind, actor, purpose, action;
  std::vector<std::string> roles, rules;
  struct Category {
    std::string category, effect, transform;
  };
  std::vector<Category> categories;  // every element, public columns included
  std::string policy_name;
  std::int64_t policy_version = 0;
  bool subject_set = false;
};

// Reads `text` as an entry (as scan_entry checks it) and fills `out`.
bool scan_access(std::string_view text, ScannedAccess& out);

}  // namespace custos::audit
