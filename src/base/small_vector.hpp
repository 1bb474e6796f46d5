// SmallVector: the first N elements live inside the object, the rest on
// the heap. For the per-request data of the decision hot path, which is
// nearly always tiny (one category, a role set of one word): keeping it
// inline saves an allocation and a cache miss per decision.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

namespace custos::detail {

template <typename T, std::size_t N>
class SmallVector {
 public:
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* data() { return size_ <= N ? inline_.data() : heap_.data(); }
  const T* data() const { return size_ <= N ? inline_.data() : heap_.data(); }
  T& operator[](std::size_t i) { return data()[i]; }
  const T& operator[](std::size_t i) const { return data()[i]; }

  void clear() {
    size_ = 0;
    heap_.clear();
  }
  void push_back(const T& value) {
    if (size_ < N) {
      inline_[size_] = value;
    } else {
      if (size_ == N) heap_.assign(inline_.begin(), inline_.end());
      heap_.push_back(value);
    }
    ++size_;
  }
  void assign(std::size_t count, const T& value) {
    clear();
    for (std::size_t i = 0; i < count; ++i) push_back(value);
  }

 private:
  std::array<T, N> inline_;
  std::vector<T> heap_;  // all elements, once there are more than N
  std::size_t size_ = 0;
};

}  // namespace custos::detail
