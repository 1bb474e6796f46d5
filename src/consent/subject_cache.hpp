// The consent store's cache of subjects' snapshots: a hash table made for
// the decision hot path, where a guarded scan looks up one subject per row.
//
// Open addressing with linear probing, kept at most half full, the entries
// in the slots: a lookup reads one slot (and, for an id that is not a
// decimal integer, its text). No per-lookup allocation, and the slot is
// found by a multiplication instead of a division (Lemire's "fastmod").
//
// Subject ids are mostly decimal integers visited in table order, so a
// decimal id hashes to its value and the table's size is a prime: the
// subjects of a scan sit in neighbouring slots (a scan of a million
// customers walks the table in order instead of missing the CPU's cache on
// every row), and ids in any stride that is not a multiple of the prime
// still fall in distinct slots. Other ids hash as strings. A decimal id can
// also be looked up by its value (an INTEGER subject column), without
// formatting it.
//
// Not thread-safe: the store guards it with its cache mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace custos::detail {

// The value of a decimal id: digits only, no leading zero, at most 18
// digits (so that it fits, and every such value has one spelling).
inline std::optional<std::uint64_t> decimal_id(std::string_view s) {
  if (s.empty() || s.size() > 18 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

// The largest value decimal_id() gives.
inline constexpr std::uint64_t kMaxDecimalId = 999999999999999999ull;

template <typename Entry>
class SubjectCache {
 public:
  // The subject's entry, or null when it is not cached. Valid until the
  // next put() or clear().
  Entry* find(std::string_view subject) {
    if (const auto value = decimal_id(subject)) return find_decimal(*value);
    if (slots_.empty()) return nullptr;
    const std::uint64_t hash = std::hash<std::string_view>{}(subject);
    for (std::size_t i = home(hash);; i = next(i)) {
      Slot& slot = slots_[i];
      if (slot.state == kEmpty) return nullptr;
      if (slot.hash == hash && slot.state == kText && *slot.text == subject) return &slot.entry;
    }
  }
  // The entry of the decimal id with this value (at most kMaxDecimalId):
  // one slot read, the entry in it.
  Entry* find_decimal(std::uint64_t value) {
    if (slots_.empty()) return nullptr;
    for (std::size_t i = home(value);; i = next(i)) {
      Slot& slot = slots_[i];
      if (slot.state == kEmpty) return nullptr;
      if (slot.hash == value && slot.state == kDecimal) return &slot.entry;
    }
  }

  // Sets the subject's entry (adding the subject, or replacing its entry).
  void put(std::string_view subject, Entry entry) {
    if (Entry* existing = find(subject)) {
      *existing = std::move(entry);
      return;
    }
    if (2 * (size_ + 1) > slots_.size()) grow();
    Slot slot;
    if (const auto value = decimal_id(subject)) {
      slot.hash = *value;
      slot.state = kDecimal;
    } else {
      texts_.emplace_back(subject);
      slot.hash = std::hash<std::string_view>{}(subject);
      slot.state = kText;
      slot.text = &texts_.back();
    }
    slot.entry = std::move(entry);
    insert(std::move(slot));
    ++size_;
  }

  void clear() {
    std::vector<Slot>().swap(slots_);
    texts_.clear();
    size_ = 0;
    prime_ = 0;
  }

  std::size_t size() const { return size_; }

 private:
  static constexpr std::uint8_t kEmpty = 0, kDecimal = 1, kText = 2;
  // A decimal id is known by its value (the hash) alone; any other id by
  // its text, kept aside. The entry lives in the slot: a lookup of a
  // decimal id reads nothing else.
  struct Slot {
    std::uint64_t hash = 0;
    const std::string* text = nullptr;  // kText only
    std::uint8_t state = kEmpty;        // entries are never removed one by one
    Entry entry{};
  };

  // The largest prime below each power of two from 2^6 to 2^32.
  static constexpr std::uint32_t kPrimes[] = {
      61,        127,       251,       509,        1021,        2039,       4093,
      8191,      16381,     32749,     65521,      131071,      262139,     524287,
      1048573,   2097143,   4194301,   8388593,    16777213,    33554393,   67108859,
      134217689, 268435399, 536870909, 1073741789, 2147483647u, 4294967291u};

  // hash mod the table's size: the hash folded to 32 bits (an id below 2^32
  // keeps its value), then Lemire's multiply-based remainder.
  std::size_t home(std::uint64_t hash) const {
    const auto folded = static_cast<std::uint32_t>(hash ^ (hash >> 32));
    const std::uint64_t low = reciprocal_ * folded;
    __extension__ using Wide = unsigned __int128;  // GCC and Clang
    return static_cast<std::size_t>((static_cast<Wide>(low) * slots_.size()) >> 64);
  }
  std::size_t next(std::size_t i) const { return i + 1 == slots_.size() ? 0 : i + 1; }

  void insert(Slot&& slot) {
    std::size_t i = home(slot.hash);
    while (slots_[i].state != kEmpty) i = next(i);
    slots_[i] = std::move(slot);
  }

  void grow() {
    const std::size_t last = sizeof kPrimes / sizeof kPrimes[0] - 1;
    if (!slots_.empty() && prime_ == last) {
      // 2^32 slots are far past any bound a cache is given; rather than
      // fill the table, start over (the store's own bound does the same).
      if (2 * size_ + 2 > slots_.size()) clear();
      if (!slots_.empty()) return;
    }
    const std::uint32_t size = kPrimes[slots_.empty() ? 0 : ++prime_];
    std::vector<Slot> old(size);
    old.swap(slots_);
    reciprocal_ = ~std::uint64_t{0} / size + 1;
    for (Slot& slot : old) {
      if (slot.state != kEmpty) insert(std::move(slot));
    }
  }

  std::vector<Slot> slots_;
  std::deque<std::string> texts_;  // the text ids; stable addresses
  std::size_t size_ = 0;
  std::size_t prime_ = 0;  // index in kPrimes of the table's size
  std::uint64_t reciprocal_ = 0;
};

}  // namespace custos::detail
