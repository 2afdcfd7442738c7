#pragma once
// layer_norm: Keras's LayerNormalization (and PyTorch's F.layer_norm) over the trailing axes of x whose sizes
// multiply to `norm_size`: each row of norm_size elements is normalized with its own mean and (biased) variance,
// y = (x - mean) / sqrt(var + epsilon) * gamma + beta. gamma / beta: norm_size elements (any shape, e.g. the
// trailing axes) or undefined (scale / center off). Forward and backward are one row loop each.
#include "nabla/core/tensor.h"

namespace nabla {

Tensor layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, int64_t norm_size,
                  double epsilon = 1e-3);

}  // namespace nabla
