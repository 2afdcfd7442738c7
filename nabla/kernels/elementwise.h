#pragma once
// Elementwise kernels: flat loops for the contiguous cases (which the compiler vectorizes), a row-broadcast
// path for bias-style operands, and a strided walk for everything else. No autograd here.
#include <cmath>

#include "nabla/core/parallel.h"
#include "nabla/core/strided.h"
#include "nabla/core/tensor.h"

namespace nabla::kernels {

// The dtype two operands are computed in: the wider of the two (f64 > f32 > i64 > i32 > u8).
DType promote(DType a, DType b);

// out[i] = f(a[i]) over same-shaped tensors (out contiguous).
template <class T, class U, class F>
void unary_loop(const Tensor& a, Tensor& out, F f) {
  U* o = out.data<U>();
  const T* pa = a.data<T>();
  int64_t n = a.numel();
  if (a.is_contiguous()) {
    parallel_for(0, n, 4, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) o[i] = f(pa[i]);
    });
  } else {
    int64_t k = 0;
    StridedIter<1> it{a.shape(), {a.strides()}};
    it.for_each([&](const std::array<int64_t, 1>& off) { o[k++] = f(pa[off[0]]); });
  }
}

// out = f(a, b) with NumPy broadcasting; a and b already have dtype T; out is contiguous with the result shape.
template <class T, class U, class F>
void binary_loop(const Tensor& a, const Tensor& b, Tensor& out, F f) {
  U* o = out.data<U>();
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  int64_t n = out.numel();
  bool ca = a.is_contiguous(), cb = b.is_contiguous();
  if (ca && cb && a.numel() == n && b.numel() == n) {
    parallel_for(0, n, 2, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) o[i] = f(pa[i], pb[i]);
    });
    return;
  }
  if (ca && a.numel() == n && b.numel() == 1) {
    T s0 = pb[0];
    parallel_for(0, n, 2, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) o[i] = f(pa[i], s0);
    });
    return;
  }
  if (cb && b.numel() == n && a.numel() == 1) {
    T s0 = pa[0];
    parallel_for(0, n, 2, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) o[i] = f(s0, pb[i]);
    });
    return;
  }
  // a is [..., M] full size and b is a contiguous [M] (a bias row).
  if (ca && cb && a.numel() == n && b.numel() > 1 && a.dim() >= 1 && b.numel() == a.shape().back() &&
      b.shape().numel() == b.shape()[b.dim() - 1]) {
    int64_t m = b.numel(), rows = n / m;
    parallel_for(0, rows, 2 * m, [&](int64_t s, int64_t e) {
      for (int64_t r = s; r < e; ++r)
        for (int64_t j = 0; j < m; ++j) o[r * m + j] = f(pa[r * m + j], pb[j]);
    });
    return;
  }
  const Shape& os = out.shape();
  StridedIter<2> it{os, {broadcast_strides(a.shape(), a.strides(), os), broadcast_strides(b.shape(), b.strides(), os)}};
  int64_t k = 0;
  it.for_each([&](const std::array<int64_t, 2>& off) { o[k++] = f(pa[off[0]], pb[off[1]]); });
}

// dst += src (same shape; dst contiguous).
void add_inplace(Tensor& dst, const Tensor& src);
// dst += alpha * src (same shape, both contiguous float).
void axpy_inplace(Tensor& dst, double alpha, const Tensor& src);

// g * (y > 0) as a new contiguous tensor, in one pass — relu's gradient read from its output (fused linear/conv
// + relu).
Tensor relu_grad(const Tensor& g, const Tensor& y);

// Sums t over the broadcast dimensions so that the result has `shape` (the gradient of broadcasting).
Tensor sum_to(const Tensor& t, const Shape& shape);

}  // namespace nabla::kernels
