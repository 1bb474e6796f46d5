// Entries (FORMAT.md, section 3): from an AccessRecord to canonical JSON.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "custos/access_record.hpp"

namespace custos::audit {

// An entry waiting for its number: everything but `seq`, and its subjects
// (sorted) for the index or the subject set.
struct PendingEntry {
  std::uint64_t ticket = 0;
  nlohmann::json entry;
  std::vector<std::string> subjects;
};

PendingEntry make_entry(const AccessRecord& record);
// The entry's canonical text, numbered `seq`.
std::string finish_entry(PendingEntry& pending, std::uint64_t seq);
// Canonical JSON of any value (sorted keys, compact, UTF-8).
std::string canonical(const nlohmann::json& value);

}  // namespace custos::audit
