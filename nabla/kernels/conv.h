#pragma once
// 2-d convolution kernels in Keras's layouts: input NHWC [n, h, w, c], kernel HWIO [kh, kw, c, o], output NHWC
// [n, oh, ow, o]. float32 runs on oneDNN's convolution primitives (cached per shape); float64 (gradient checks)
// runs as im2col + GEMM on OpenBLAS. All tensors passed here are contiguous. No autograd here.
#include <functional>
#include <string>

#include "nabla/core/tensor.h"
#include "nabla/kernels/fused_activation.h"

namespace nabla::kernels {

struct Conv2DGeometry {
  int64_t n = 0, h = 0, w = 0, c = 0;  // input
  int64_t kh = 0, kw = 0, o = 0;       // kernel window and output channels
  int64_t sh = 1, sw = 1;              // strides
  int64_t dh = 1, dw = 1;              // dilation (1 = none)
  int64_t pad_t = 0, pad_l = 0, pad_b = 0, pad_r = 0;
  int64_t oh = 0, ow = 0;              // output
  double flops() const { return 2.0 * double(n * oh * ow) * double(o) * double(kh * kw * c); }
};

// y = act(conv(x, w) [+ b]). b: [o] or undefined.
void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, Tensor& y, const Conv2DGeometry& g,
                    FusedActivation act = FusedActivation::none);
// gx = dL/dx from gy = dL/dy.
void conv2d_backward_data(const Tensor& gy, const Tensor& w, Tensor& gx, const Conv2DGeometry& g);
// gw = dL/dw and, when gb is given, gb = dL/db.
void conv2d_backward_weights(const Tensor& x, const Tensor& gy, Tensor& gw, Tensor* gb, const Conv2DGeometry& g);

// Whether conv2d_relu_max_pool2x2 takes g (float32): the few-channel kernels' shapes on AVX2 or AVX-512
// (kernels/conv_few_channels.h), an output with a 2x2 window, the default path (set_conv_impl).
bool conv2d_relu_max_pool2x2_applies(const Conv2DGeometry& g);
// pooled, idx [n, oh / 2, ow / 2, o] (float32, int32) = MaxPooling2D(2) of relu(conv(x, w) + b) and each window's
// winner, without writing the convolution's output (conv2d_relu_max_pool2x2_few_channels).
void conv2d_relu_max_pool2x2(const Tensor& x, const Tensor& w, const Tensor& b, Tensor& pooled, Tensor& idx,
                             const Conv2DGeometry& g);

// dL/dy handed over image by image: write(first, count, dst) writes images [first, first + count) of it,
// contiguous, to dst (a gradient in compact form, e.g. max pooling's: autograd/deferred_grad.h). Called from
// several threads at once on disjoint images.
using GradImages = std::function<void(int64_t first, int64_t count, void* dst)>;
// Whether conv2d_backward_weights_from_images takes g in dtype dt: the few-channel kernel's shapes
// (kernels/conv_few_channels.h) on the default path, which read dL/dy a few images at a time, so that it is never
// written whole. Elsewhere write it whole and call conv2d_backward_weights.
bool conv2d_backward_weights_reads_images(const Conv2DGeometry& g, DType dt);
// conv2d_backward_weights with dL/dy from write_gy; the same bits as with the gradient written whole.
void conv2d_backward_weights_from_images(const Tensor& x, const GradImages& write_gy, Tensor& gw, Tensor* gb,
                                         const Conv2DGeometry& g);

// Which implementation float32 convolutions use: "winograd" (the default: oneDNN's Winograd convolution for
// the forward and weight-gradient passes of 3x3 stride-1 convolutions with channels in blocks of 16 where
// oneDNN has it, i.e. on AVX-512; otherwise as "nhwc"), "nhwc" (oneDNN's direct convolution working on
// nhwc/hwio tensors directly), "blocked" (oneDNN in its blocked layouts, with reorders around each pass) or
// "im2col" (im2col and one GEMM per pass). The environment variable NABLA_CONV_IMPL sets the starting value.
// For measurements and tests; every path computes the same convolution to float precision.
void set_conv_impl(const std::string& impl);

// Number of oneDNN convolution primitives created so far (steady-state training creates none), and how many
// of them are Winograd convolutions; whether this machine has oneDNN's Winograd kernels (AVX-512 only).
int64_t conv_primitives_created();
int64_t conv_winograd_primitives_created();
bool conv_winograd_available();

}  // namespace nabla::kernels
