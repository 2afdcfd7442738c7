#pragma once
// Max pooling's tie and NaN rule in one place, for max_pool2d (ops/pooling.cpp) and the fused convolution +
// pooling kernel (kernels/conv_few_channels.cpp), which must record the same winners bit for bit.
#include <cstdint>

namespace nabla::kernels {

// One window position folded into an output pixel's running max over c channels: the first maximum wins ties
// (as PyTorch and TensorFlow), and a NaN that came first stays (v > NaN and NaN < v are false). oi holds each
// channel's winner, pos this position's. Restrict pointers so that the channel loop vectorizes without runtime
// overlap checks.
template <class T>
inline void fold_max(const T* __restrict in, T* __restrict out, int32_t* __restrict oi, int32_t pos, int64_t c) {
  for (int64_t ch = 0; ch < c; ++ch) {
    // Both stores unconditional and the index select in bits: GCC turns "x = win ? y : x" into masked stores,
    // which are microcoded (slow) on AMD cores.
    const T v = in[ch], o = out[ch];
    const int32_t i0 = oi[ch], win = -int32_t(v > o);
    out[ch] = o < v ? v : o;
    oi[ch] = i0 ^ ((i0 ^ pos) & win);
  }
}
// The same without winners.
template <class T>
inline void fold_max(const T* __restrict in, T* __restrict out, int64_t c) {
  for (int64_t ch = 0; ch < c; ++ch) out[ch] = in[ch] > out[ch] ? in[ch] : out[ch];
}

}  // namespace nabla::kernels
