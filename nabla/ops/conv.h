#pragma once
// conv2d: Keras's Conv2D op. x NHWC [n, h, w, c], kernel HWIO [kh, kw, c, filters], bias [filters] (optional)
// -> [n, oh, ow, filters]. relu can be fused into the convolution (as Dense fuses it into the GEMM).
#include <array>
#include <string>

#include "nabla/core/tensor.h"
#include "nabla/ops/linear.h"
#include "nabla/ops/padding.h"

namespace nabla {

struct Conv2DArgs {
  std::array<int64_t, 2> strides{1, 1};
  Padding padding = Padding::valid;
  std::array<int64_t, 2> dilation{1, 1};
  FusedActivation activation = FusedActivation::none;
};

Tensor conv2d(const Tensor& x, const Tensor& kernel, const Tensor& bias = Tensor(), const Conv2DArgs& args = {});
// Keras-style spelling: conv2d(x, w, b, {2, 2}, "same", {1, 1}).
Tensor conv2d(const Tensor& x, const Tensor& kernel, const Tensor& bias, std::array<int64_t, 2> strides,
              const std::string& padding, std::array<int64_t, 2> dilation = {1, 1});

// Output shape [n, oh, ow, filters] of conv2d for an input shape [n, h, w, c] (n may be -1) and a kernel
// shape [kh, kw, c, filters]; throws a ShapeError naming `who` and both shapes if they do not fit.
Shape conv2d_output_shape(const Shape& input, const Shape& kernel, const Conv2DArgs& args,
                          const std::string& who = "conv2d");

}  // namespace nabla
