#pragma once
// Quantized 2-d convolution (NHWC u8 activations, HWIO s8 weights) on oneDNN's int8 convolution; the
// requantization (kernels/int8_matmul.h's Int8Requant) is fused into the primitive.
#include <cstdint>
#include <memory>
#include <vector>

#include "nabla/kernels/int8_matmul.h"

namespace nabla::kernels {

struct Int8ConvGeometry {
  int64_t h = 0, w = 0, c = 0;         // input (per sample)
  int64_t kh = 0, kw = 0, o = 0;       // window, output channels
  int64_t sh = 1, sw = 1, dh = 1, dw = 1;
  int64_t pad_t = 0, pad_l = 0, pad_b = 0, pad_r = 0;
  int64_t oh = 0, ow = 0;              // output (per sample)
};

class Int8Conv2D {
 public:
  // w: HWIO [kh, kw, c, o]; bias: [o] (empty: none).
  Int8Conv2D(const Int8ConvGeometry& g, const int8_t* w, std::vector<int32_t> bias, Int8Requant rq);
  ~Int8Conv2D();
  Int8Conv2D(const Int8Conv2D&) = delete;
  Int8Conv2D& operator=(const Int8Conv2D&) = delete;
  // src: u8 [n, h, w, c]; dst: u8 or float [n, oh, ow, o].
  void run(const uint8_t* src, int64_t n, void* dst) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nabla::kernels
