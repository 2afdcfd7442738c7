#pragma once
// Differentiable reductions. axes empty = all axes.
#include <vector>

#include "nabla/core/tensor.h"

namespace nabla {

Tensor sum(const Tensor& x, const std::vector<int>& axes = {}, bool keepdims = false);
Tensor mean(const Tensor& x, const std::vector<int>& axes = {}, bool keepdims = false);
Tensor max(const Tensor& x, int axis, bool keepdims = false);  // gradient flows to the (first) argmax
Tensor argmax(const Tensor& x, int axis);                       // int64, axis removed (no gradient)

}  // namespace nabla
