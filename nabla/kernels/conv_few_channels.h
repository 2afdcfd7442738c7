#pragma once
// The forward pass and the weight gradient of a float32 convolution with few input channels (a first layer on
// grayscale or RGB images), computed directly. oneDNN 2.6's weight gradient for one input channel spends half its
// time summing partial gradients with SSE loops (the Fashion-MNIST CNN's conv 1, 128x28x28x1 -> 32, 3x3: 2.3-2.9 ms
// a step at one thread limited to AVX2, 1.4 ms with AVX-512); here every output pixel adds its kh*kw*c products
// into accumulators that stay in registers (see bench/conv_bench).
//
// Deterministic whatever the thread count: images are summed in fixed chunks of kChunkImages, each chunk in a
// fixed order (image, row, column), and the chunks' sums added in chunk order. The AVX2 and AVX-512 kernels
// compute the same bits.
#include "nabla/core/cpu_isa.h"
#include "nabla/kernels/conv.h"

namespace nabla::kernels {

// Whether the kernels below take g: at most 4 input channels, stride and dilation 1, output channels a multiple
// of 8, and AVX2 (with FMA) or better (cpu_isa()). conv2d_backward_weights (and, on AVX-512, conv2d_forward)
// call them on their default path ("winograd", see set_conv_impl).
bool few_channels_applies(const Conv2DGeometry& g);

// The forward kernel only where it beats oneDNN: on AVX-512 (conv 1 at 1 / 2 threads, min of 3 runs of
// bench/conv_bench: oneDNN 1021 / 500 us, this 703 / 333 us). With AVX2 alone oneDNN's direct forward is the
// faster: on AMD's Zen 4 684 / 410 us against 842 / 515, on the Intel Xeon of stop 36 630-672 / 325-336 against
// 916-995 / 446-460. (Stop 35 took it on AVX2 Intel cores from a measurement that, on an AVX-512 machine limited to
// AVX2, ran the AVX-512 rows: forward_row did not look at the ISA, so an AVX2-only Intel CPU died of SIGILL;
// ctest's avx2_only.* now run the kernel suites on an emulated AVX2-only EPYC, tests/CMakeLists.txt.)
bool few_channels_forward_applies(const Conv2DGeometry& g);

// y [n, oh, ow, o] = act(conv(x, w) [+ b]), b: [o] or null, relu or none; x: [n, h, w, c], w: HWIO, all
// contiguous float32. Per output element: the taps' FMAs in (ky, kx, ci) order from +0, then the bias, then relu.
void conv2d_forward_few_channels(const float* x, const float* w, const float* b, float* y, const Conv2DGeometry& g,
                                 bool relu);

// pooled [n, oh / 2, ow / 2, o] = 2x2 max pooling (stride 2, valid) of relu(conv(x, w) [+ b]), and idx (same
// shape) = each window's winner as max pooling records it (flat iy * ow + ix in the convolution's output; the
// first maximum wins ties, a NaN first in its window sticks): the bits of conv2d_forward_few_channels then
// max_pool2d, but the convolution's output is never written whole (two rows at a time in a buffer; the
// Fashion-MNIST CNN's conv 1 writes 11 MB a step there, and pooling reads them back). On AVX2 too: there the
// plain forward loses to oneDNN's, but the pair beats oneDNN's forward + pooling (W3 at two threads, three
// alternating pairs of 2-epoch runs: 12.5-12.8 ms a step against 13.2-13.8; AVX-512 7.15-7.42 against 8.30-8.43).
void conv2d_relu_max_pool2x2_few_channels(const float* x, const float* w, const float* b, float* pooled,
                                          int32_t* idx, const Conv2DGeometry& g);

// gw [kh, kw, c, o] = sum over pixels of x-patch (x) gy; gb [o] (when not null) = sum over pixels of gy.
// x: [n, h, w, c], gy: [n, oh, ow, o], all contiguous float32.
void conv2d_backward_weights_few_channels(const float* x, const float* gy, float* gw, float* gb,
                                          const Conv2DGeometry& g);
// The same, gy written a chunk of images at a time (into a buffer that stays in cache) by write_gy; the same bits.
void conv2d_backward_weights_few_channels(const float* x, const GradImages& write_gy, float* gw, float* gb,
                                          const Conv2DGeometry& g);

namespace detail {
// For tests: the kernels of at most `most` (CpuIsa::portable: none, oneDNN takes every shape); returns the level
// now in use. cpu_isa() restores the default.
CpuIsa limit_conv_few_channels_isa(CpuIsa most);
// For tests: conv2d_forward takes the few-channel forward on AVX2 too (where it otherwise leaves it to oneDNN),
// so that conv2d then max_pool2d computes the fused op's bits there; returns the previous setting.
bool few_channels_forward_everywhere(bool on);
}  // namespace detail

}  // namespace nabla::kernels
