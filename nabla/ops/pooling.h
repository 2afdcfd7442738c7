#pragma once
// 2-d pooling over NHWC inputs, with Keras's semantics: strides default to the pool size; with "same" padding
// the padded positions never win a max and are not counted in an average (as TensorFlow does).
#include <array>
#include <memory>
#include <optional>

#include "nabla/core/tensor.h"
#include "nabla/ops/padding.h"

namespace nabla {

namespace autograd {
class DeferredGrad;
}

struct Pool2DArgs {
  std::array<int64_t, 2> pool_size{2, 2};
  std::optional<std::array<int64_t, 2>> strides;  // default: pool_size
  Padding padding = Padding::valid;
};

Tensor max_pool2d(const Tensor& x, const Pool2DArgs& args = {});
Tensor avg_pool2d(const Tensor& x, const Pool2DArgs& args = {});
// [n, h, w, c] -> [n, c]: the mean over the spatial axes.
Tensor global_avg_pool2d(const Tensor& x);

// Max pooling's input gradient [n, h, w, c] in compact form (autograd/deferred_grad.h), as max_pool2d's backward
// hands it on: the pooled gradient gy scattered to each window's winner idx (flat iy * w + ix per image, int32,
// as max_pool2d and conv2d_relu_max_pool2d record them), masked first by the sign of relu_y, the pooled output,
// when defined (a relu before the pooling). For the fused conv2d_relu_max_pool2d.
std::shared_ptr<autograd::DeferredGrad> max_pool2d_input_grad(Tensor gy, Tensor relu_y, Tensor idx,
                                                              const Shape& input_shape, const Pool2DArgs& args);

// Output shape [n, oh, ow, c] for an input shape [n, h, w, c] (n may be -1); throws a ShapeError naming `who`.
Shape pool2d_output_shape(const Shape& input, const Pool2DArgs& args, const std::string& who = "pool2d");

}  // namespace nabla
