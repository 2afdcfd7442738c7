#include "nabla/kernels/int8_pooling.h"

#include <omp.h>

#include <algorithm>
#include <vector>

#include "nabla/core/error.h"

namespace nabla::kernels {

// Plain loops, not oneDNN's pooling: on NHWC u8 the channel loop is contiguous bytes that GCC vectorizes
// (pmaxub; 16-bit sums for the average), and oneDNN 2.6's u8 pooling measured 2x slower than the convolution
// before it (Fashion-MNIST CNN, batch 256, AVX-512 VNNI: 4.6 ms vs 2.2 ms).
struct Int8Pool2D::Impl {
  Int8ConvGeometry g;
  bool max = true;
};

Int8Pool2D::Int8Pool2D(const Int8ConvGeometry& g, bool max) : impl_(std::make_unique<Impl>()) {
  NABLA_CHECK(g.c > 0 && g.kh > 0 && g.kw > 0 && g.oh > 0 && g.ow > 0 && g.sh > 0 && g.sw > 0,
              "Int8Pool2D: bad geometry");
  impl_->g = g;
  impl_->max = max;
}
Int8Pool2D::~Int8Pool2D() = default;

void Int8Pool2D::run(const uint8_t* src, int64_t n, uint8_t* dst) const {
  const Int8ConvGeometry& g = impl_->g;
  const bool max = impl_->max;
  const int64_t c = g.c, rows = n * g.oh;
  // Small pools are not worth waking threads for.
  const int threads = rows * g.ow * c * g.kh * g.kw > (int64_t(1) << 18) ? omp_get_max_threads() : 1;
#pragma omp parallel num_threads(threads)
  {
    // Max: the window's rows are first reduced into one input row (a long contiguous byte loop), then each output
    // takes the max over its columns of that row; the average sums likewise in 16-bit-safe 32-bit counters.
    std::vector<uint8_t> row_max(max ? size_t(g.w * c) : 0);
    std::vector<uint32_t> row_sum(max ? 0 : size_t(g.w * c));
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t b = r / g.oh, oy = r % g.oh;
      const int64_t y0 = std::max<int64_t>(oy * g.sh - g.pad_t, 0), y1 = std::min(oy * g.sh - g.pad_t + g.kh, g.h);
      const int64_t wc = g.w * c;
      if (max) {
        uint8_t* __restrict acc = row_max.data();
        std::fill(acc, acc + wc, uint8_t(0));
        for (int64_t y = y0; y < y1; ++y) {
          const uint8_t* __restrict in = src + (b * g.h + y) * wc;
          for (int64_t i = 0; i < wc; ++i) acc[i] = std::max(acc[i], in[i]);
        }
      } else {
        uint32_t* __restrict acc = row_sum.data();
        std::fill(acc, acc + wc, 0u);
        for (int64_t y = y0; y < y1; ++y) {
          const uint8_t* __restrict in = src + (b * g.h + y) * wc;
          for (int64_t i = 0; i < wc; ++i) acc[i] += in[i];
        }
      }
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        const int64_t x0 = std::max<int64_t>(ox * g.sw - g.pad_l, 0), x1 = std::min(ox * g.sw - g.pad_l + g.kw, g.w);
        uint8_t* __restrict out = dst + ((b * g.oh + oy) * g.ow + ox) * c;
        if (max) {
          std::fill(out, out + c, uint8_t(0));
          for (int64_t x = x0; x < x1; ++x) {
            const uint8_t* __restrict in = row_max.data() + x * c;
            for (int64_t k = 0; k < c; ++k) out[k] = std::max(out[k], in[k]);
          }
        } else {
          // Padding excluded (Keras); the average rounded half to even, as ONNX's QuantizeLinear rounds the
          // float average of the dequantized values (the QDQ export's DequantizeLinear -> AveragePool ->
          // QuantizeLinear).
          const uint32_t count = uint32_t(std::max<int64_t>((y1 - y0) * (x1 - x0), 1));
          for (int64_t k = 0; k < c; ++k) {
            uint32_t sum = 0;
            for (int64_t x = x0; x < x1; ++x) sum += row_sum[size_t(x * c + k)];
            const uint32_t q = sum / count, rem = sum % count;
            out[k] = uint8_t(q + (2 * rem > count || (2 * rem == count && (q & 1))));
          }
        }
      }
    }
  }
}

}  // namespace nabla::kernels
