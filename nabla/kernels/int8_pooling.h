#pragma once
// Pooling of u8 NHWC activations (nabla/lite's kernels).
#include <cstdint>
#include <memory>

#include "nabla/kernels/int8_conv.h"

namespace nabla::kernels {

// Max or average (padding excluded, as Keras) pooling of u8 NHWC activations; the output keeps the input's
// scale and zero point (max commutes with a monotonic quantization; the average of codes is the code of the
// average, rounded).
class Int8Pool2D {
 public:
  Int8Pool2D(const Int8ConvGeometry& g, bool max);  // g.o == g.c; no weights
  ~Int8Pool2D();
  Int8Pool2D(const Int8Pool2D&) = delete;
  Int8Pool2D& operator=(const Int8Pool2D&) = delete;
  void run(const uint8_t* src, int64_t n, uint8_t* dst) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nabla::kernels
