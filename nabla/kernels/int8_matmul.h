#pragma once
// Quantized matrix multiply and 2-d convolution on oneDNN's int8 primitives (nabla/lite's kernels): u8
// activations (per-tensor scale and zero point), s8 weights (per-output-channel scales), s32 bias in the
// accumulator's scale. Requantization is fused: the primitive scales its s32 accumulator by
// out_scale[n] = s_in * s_w[n] / s_out, adds the output zero point and saturates to u8, or writes float32
// (out_scale[n] = s_in * s_w[n]) for a graph output. Primitives and reordered weights are cached per batch size.
// No autograd, no Tensor: plain buffers, so the lite runtime links against core and kernels only.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace nabla::kernels {

struct Int8Requant {
  std::vector<float> out_scales;  // one per output channel
  int32_t src_zero_point = 0;
  int32_t dst_zero_point = 0;     // ignored for float32 output
  bool dst_f32 = false;
  bool relu = false;              // fused; for u8 output with zero point 0 the saturation already is ReLU
};

// Whether oneDNN's int8 kernels on this CPU (capped by ONEDNN_MAX_CPU_ISA) multiply with VNNI, which sums u8*s8
// products in 32 bits. Without it (AVX2, AVX-512 before VNNI) they add u8*s8 pairs into 16 bits with saturation
// (vpmaddubsw): 255 * 127 * 2 overflows, so Int8Matmul and Int8Conv2D halve the weights of output channels that
// reach beyond 64 in magnitude (rounded to even; their output scale doubled and bias halved): 7-bit precision
// for those channels, which such CPUs sum exactly (255 * 64 * 2 <= 32767), instead of saturated sums.
bool int8_vnni();

// y[M, N] = requant(x[M, K] * w[K, N] + bias[N]).
class Int8Matmul {
 public:
  // w: row-major [K, N]; bias: [N] (empty: none).
  Int8Matmul(int64_t k, int64_t n, const int8_t* w, std::vector<int32_t> bias, Int8Requant rq);
  ~Int8Matmul();
  Int8Matmul(const Int8Matmul&) = delete;
  Int8Matmul& operator=(const Int8Matmul&) = delete;
  // src: u8 [m, K]; dst: u8 or float [m, N], contiguous.
  void run(const uint8_t* src, int64_t m, void* dst) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nabla::kernels
