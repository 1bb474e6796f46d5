// NameTable: a read-only map from names to small integer ids, built once.
//
// The string path of a decision looks up three names (purpose, role,
// category) per request; a node-based std::unordered_map costs a pointer
// chase per probe and a byte-at-a-time hash. This table is one flat array
// (open addressing, linear probing, load factor at most 1/2) and hashes
// eight bytes at a time. It is never modified after construction, so an
// attacker choosing lookup keys cannot lengthen its probe sequences.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace custos::detail {

class NameTable {
 public:
  NameTable() = default;
  // `names[i]` gets id i; the strings must outlive the table.
  explicit NameTable(const std::vector<std::string>& names) {
    std::size_t capacity = 8;
    while (capacity < names.size() * 2) capacity *= 2;
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    for (std::size_t i = 0; i < names.size(); ++i) {
      const std::uint64_t h = hash(names[i]);
      std::size_t at = h & mask_;
      while (slots_[at].name) at = (at + 1) & mask_;
      slots_[at] = Slot{h, names[i].data(), static_cast<std::uint32_t>(names[i].size()),
                        static_cast<std::int32_t>(i)};
    }
  }

  // The id of `name`, or -1.
  std::int32_t find(std::string_view name) const {
    if (slots_.empty()) return -1;
    const std::uint64_t h = hash(name);
    for (std::size_t at = h & mask_;; at = (at + 1) & mask_) {
      const Slot& s = slots_[at];
      if (!s.name) return -1;
      if (s.hash == h && s.size == name.size() && std::memcmp(s.name, name.data(), s.size) == 0) {
        return s.id;
      }
    }
  }

  static std::uint64_t hash(std::string_view s) {
    std::uint64_t h = 0x243F6A8885A308D3ull ^ s.size();
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      std::uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      h = (h ^ w) * 0x9E3779B97F4A7C15ull;
      h ^= h >> 29;
    }
    std::uint64_t tail = 0;
    std::memcpy(&tail, s.data() + i, s.size() - i);
    h = (h ^ tail) * 0x9E3779B97F4A7C15ull;
    // splitmix64's finaliser: every input bit reaches the low bits used as index.
    h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ull;
    h = (h ^ (h >> 27)) * 0x94D049BB133111EBull;
    return h ^ (h >> 31);
  }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    const char* name = nullptr;
    std::uint32_t size = 0;
    std::int32_t id = -1;
  };
  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
};

}  // namespace custos::detail
