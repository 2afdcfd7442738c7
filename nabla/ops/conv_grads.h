#pragma once
// What conv2d and the fused conv2d_relu_max_pool2d share: the checked geometry of a convolution, and its
// gradients from dL/dy given densely or in compact form (autograd/deferred_grad.h). Internal to ops/.
#include <string>

#include "nabla/autograd/deferred_grad.h"
#include "nabla/autograd/node.h"
#include "nabla/kernels/conv.h"
#include "nabla/ops/conv.h"

namespace nabla::detail {

// Throws a ShapeError naming `who` and both shapes where the input and kernel shapes do not fit.
kernels::Conv2DGeometry conv2d_geometry(const Shape& input, const Shape& kernel, const Conv2DArgs& args,
                                        const std::string& who);

// Fills gi[0..2] (input, kernel, bias; where asked) from dL/dy: gy (relu's mask already applied) or, when gy is
// undefined, `deferred`, whose weight gradient the few-channel kernel reads a few images at a time where it can
// (only weight gradients asked), else written out whole.
void conv2d_grads(const Tensor& x, const Tensor& w, const kernels::Conv2DGeometry& g, const Tensor& gy,
                  const autograd::DeferredGrad* deferred, bool gx, bool gw, bool gb, autograd::GradList& gi);

}  // namespace nabla::detail
