#pragma once
// Reductions along one axis, seen as [outer, n, inner] over a contiguous tensor.
#include "nabla/core/tensor.h"

namespace nabla::kernels {

enum class ReduceOp { sum, max, min };

// Reduces a contiguous tensor along `axis`; the result keeps the axis with size 1.
Tensor reduce_axis(const Tensor& t, int axis, ReduceOp op);
// Index of the max (op = max) or min (op = min) along `axis` (int64), axis kept with size 1; the first of ties.
Tensor arg_reduce_axis(const Tensor& t, int axis, ReduceOp op);
inline Tensor argmax_axis(const Tensor& t, int axis) { return arg_reduce_axis(t, axis, ReduceOp::max); }
// Sum of all elements, accumulated in double for floats; returned with t's dtype and shape ().
Tensor reduce_all(const Tensor& t, ReduceOp op);

}  // namespace nabla::kernels
