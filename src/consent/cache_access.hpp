// The engine's per-row access to a consent store's cache (src/guard reads
// one subject's consent per table row).
//
// ConsentStore::records() hands out a shared snapshot: safe to keep, but
// each call copies a shared_ptr (two atomic operations on the snapshot's
// count) and wraps it in a Result. The guard only reads the records while
// deciding the row, so here it reads them in place, under the cache's read
// lock; and a decimal subject is looked up by its value, without being
// formatted as text first.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "custos/consent.hpp"

namespace custos::detail {

// A subject as the cache is asked for it: its text, or (`is_id`) an
// integer standing for its decimal form, as an INTEGER subject column
// holds it.
struct SubjectKey {
  std::string_view text;
  std::int64_t id = 0;
  bool is_id = false;
};

class ConsentCacheAccess {
 public:
  using Use = void (*)(const std::vector<ConsentRecord>& records, void* context);
  // Calls `use(records, context)` with the subject's records, read from the
  // file on a cache miss, under the cache's read lock: `use` must not call
  // the store. When they cannot be read, returns the store's error (as
  // records() does) without calling `use`.
  static Status visit_records(const ConsentStore& store, SubjectKey subject, Use use,
                              void* context);
};

}  // namespace custos::detail
