#pragma once
// Differentiable shape manipulation. reshape/transpose/slice/select return views where the layout allows.
#include <vector>

#include "nabla/core/tensor.h"

namespace nabla {

Tensor reshape(const Tensor& x, const Shape& shape);  // one -1 allowed; copies only if x is not contiguous
Tensor transpose(const Tensor& x, int a, int b);       // a view
Tensor permute(const Tensor& x, const std::vector<int>& axes);  // a view
Tensor slice(const Tensor& x, int axis, int64_t start, int64_t end);  // a view
Tensor select(const Tensor& x, int axis, int64_t index);  // a view with `axis` removed
Tensor squeeze(const Tensor& x, int axis);
Tensor unsqueeze(const Tensor& x, int axis);
Tensor concat(const std::vector<Tensor>& xs, int axis = 0);
Tensor stack(const std::vector<Tensor>& xs, int axis = 0);
// Rows of x (along axis 0) at the given int64/int32 indices: out[i] = x[indices[i]] (a gather, copies).
Tensor take_rows(const Tensor& x, const Tensor& indices);
Tensor take_rows(const Tensor& x, const std::vector<int64_t>& indices);

}  // namespace nabla
