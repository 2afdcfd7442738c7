#pragma once
// Walks the elements of an N-d index space in row-major order, tracking one element offset per operand.
// Used where an operand is not contiguous (views, broadcasting); contiguous cases take flat loops instead.
#include <array>
#include <cstdint>

#include "nabla/core/shape.h"

namespace nabla {

template <int N>
struct StridedIter {
  Shape shape;
  std::array<Shape, N> strides;  // per operand, same rank as shape (0 for broadcast dims)
  // Calls fn(offsets) for each element; offsets[k] is operand k's element offset (relative to its base).
  template <class F>
  void for_each(F&& fn) const {
    int nd = shape.size();
    std::array<int64_t, N> off{};
    if (shape.numel() == 0) return;
    if (nd == 0) {
      fn(off);
      return;
    }
    int64_t idx[Shape::kMaxDims] = {};
    int64_t inner = shape[nd - 1];
    for (;;) {
      for (int64_t i = 0; i < inner; ++i) {
        fn(off);
        for (int k = 0; k < N; ++k) off[k] += strides[k][nd - 1];
      }
      for (int k = 0; k < N; ++k) off[k] -= strides[k][nd - 1] * inner;
      int d = nd - 2;
      for (; d >= 0; --d) {
        ++idx[d];
        for (int k = 0; k < N; ++k) off[k] += strides[k][d];
        if (idx[d] < shape[d]) break;
        for (int k = 0; k < N; ++k) off[k] -= strides[k][d] * shape[d];
        idx[d] = 0;
      }
      if (d < 0) return;
    }
  }
};

// Strides of a tensor of shape `from` (with strides `st`) broadcast to shape `to` (0 where broadcast).
inline Shape broadcast_strides(const Shape& from, const Shape& st, const Shape& to) {
  Shape r;
  r.resize(to.size(), 0);
  int lead = to.size() - from.size();
  for (int i = 0; i < from.size(); ++i) r[lead + i] = from[i] == 1 && to[lead + i] != 1 ? 0 : st[i];
  return r;
}

}  // namespace nabla
