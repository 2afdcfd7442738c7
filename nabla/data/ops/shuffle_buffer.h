#pragma once
// The shuffle buffer (tf.data's algorithm): fill to `size` from the input, then each output is a uniformly drawn
// slot whose place is taken by the next input. An element can therefore move at most size-1 positions ahead.
// One template serves both the element pipeline and the fast gather path (over row indices), so that both give
// exactly the same order for the same seed.
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "nabla/core/random.h"

namespace nabla::data::detail {

template <class T>
class ShuffleBuffer {
 public:
  ShuffleBuffer(int64_t size, uint64_t seed) : size_(size), rng_(seed) {}

  template <class Pull>  // Pull: () -> std::optional<T>
  std::optional<T> next(Pull&& pull) {
    if (!filled_) {
      buf_.reserve(size_t(std::min<int64_t>(size_, 1 << 16)));
      while (int64_t(buf_.size()) < size_) {
        auto x = pull();
        if (!x) {
          end_ = true;
          break;
        }
        buf_.push_back(std::move(*x));
      }
      filled_ = true;
    }
    if (buf_.empty()) return std::nullopt;
    size_t j = size_t(rng_.randint(buf_.size()));
    T out = std::move(buf_[j]);
    std::optional<T> x;
    if (!end_) {
      x = pull();
      if (!x) end_ = true;
    }
    if (x) {
      buf_[j] = std::move(*x);
    } else {
      if (j + 1 != buf_.size()) buf_[j] = std::move(buf_.back());
      buf_.pop_back();
    }
    return out;
  }
  int64_t buffered() const { return int64_t(buf_.size()); }

 private:
  int64_t size_;
  Generator rng_;
  std::vector<T> buf_;
  bool filled_ = false, end_ = false;
};

}  // namespace nabla::data::detail
