#pragma once
// conv2d_relu_max_pool2d: Conv2D(activation="relu") then MaxPooling2D(2) as one op, where nabla has a kernel for
// the pair (a convolution on few input channels, AVX2 or AVX-512: kernels/conv_few_channels.h). The same bits forward
// and backward as conv2d then max_pool2d, without writing the convolution's output, which pooling would read
// back (the Fashion-MNIST CNN's first convolution: 11 MB a step). Sequential runs such layer pairs through it
// (nn/conv2d.h).
#include "nabla/ops/conv.h"
#include "nabla/ops/pooling.h"

namespace nabla {

// Whether conv2d_relu_max_pool2d takes these operands: float32, relu fused, a 2x2 pool with stride 2 and valid
// padding, a geometry the kernel takes, and no op observer watching (it would see one op instead of two).
bool conv2d_relu_max_pool2d_applies(const Tensor& x, const Tensor& kernel, const Conv2DArgs& conv,
                                    const Pool2DArgs& pool);
// max_pool2d(conv2d(x, kernel, bias, conv), pool); throws where conv2d_relu_max_pool2d_applies is false.
Tensor conv2d_relu_max_pool2d(const Tensor& x, const Tensor& kernel, const Tensor& bias, const Conv2DArgs& conv,
                              const Pool2DArgs& pool);

}  // namespace nabla
