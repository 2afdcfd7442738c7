#pragma once
// Differentiable reductions. axes empty = all axes.
#include <vector>

#include "nabla/core/tensor.h"

namespace nabla {

Tensor sum(const Tensor& x, const std::vector<int>& axes = {}, bool keepdims = false);
Tensor mean(const Tensor& x, const std::vector<int>& axes = {}, bool keepdims = false);

// Whole-tensor max and min (torch.max(x), torch.amax): a 0-d tensor. The gradient is shared evenly among the
// elements equal to the result, as in PyTorch. Throws on an empty tensor.
Tensor max(const Tensor& x);
Tensor min(const Tensor& x);
// Along one axis (torch.max(x, dim).values, keras.ops.max(x, axis)): the gradient flows to the first extremum.
Tensor max(const Tensor& x, int axis, bool keepdims = false);
Tensor min(const Tensor& x, int axis, bool keepdims = false);

// Indices (int64, not differentiable) of the first maximum / minimum: over the flattened tensor (a 0-d
// tensor, as torch.argmax(x)), or along an axis (the axis removed unless keepdims).
Tensor argmax(const Tensor& x);
Tensor argmin(const Tensor& x);
Tensor argmax(const Tensor& x, int axis, bool keepdims = false);
Tensor argmin(const Tensor& x, int axis, bool keepdims = false);

}  // namespace nabla
