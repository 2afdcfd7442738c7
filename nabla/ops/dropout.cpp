#include "nabla/ops/dropout.h"

#include <algorithm>
#include <cmath>

#include "nabla/autograd/node.h"
#include "nabla/core/cpu_isa.h"
#include "nabla/core/parallel.h"
#include "nabla/core/random.h"
#include "nabla/kernels/elementwise.h"

namespace nabla {

using autograd::GradList;
using autograd::record;

namespace {

// mask[i] = scale where the 24 high bits of counter_bits32(key, i) reach threshold (so P(drop) = threshold /
// 2^24), else 0; out = x * mask. The float32 loop is the hot one (every training step): it runs as AVX2 where
// cpu_isa() allows (run_at_best_isa).
template <class T>
__attribute__((always_inline)) inline void dropout_block(const T* x, T* out, T* mask, int64_t begin, int64_t end,
                                                         uint64_t key, uint32_t threshold, T scale) {
  for (int64_t i = begin; i < end; ++i) {
    T m = (counter_bits32(key, uint32_t(i)) >> 8) >= threshold ? scale : T(0);
    mask[i] = m;
    out[i] = x[i] * m;
  }
}

void dropout_block_any(const float* x, float* out, float* mask, int64_t begin, int64_t end, uint64_t key,
                       uint32_t threshold, float scale) {
  run_at_best_isa<dropout_block<float>>(x, out, mask, begin, end, key, threshold, scale);
}
void dropout_block_any(const double* x, double* out, double* mask, int64_t begin, int64_t end, uint64_t key,
                       uint32_t threshold, double scale) {
  dropout_block<double>(x, out, mask, begin, end, key, threshold, scale);
}

}  // namespace

Tensor dropout(const Tensor& x0, double rate, bool training, Generator* gen) {
  NABLA_CHECK(rate >= 0 && rate < 1, "dropout rate must be in [0, 1), got ", rate);
  if (!training || rate == 0) return x0;
  Tensor x = x0.contiguous();
  const uint64_t key = (gen ? *gen : default_generator()).next_u64();
  const auto threshold = uint32_t(std::llround(rate * 16777216.0));
  Tensor out = make_tensor(x.shape(), x.dtype());
  Tensor mask = make_tensor(x.shape(), x.dtype());  // 0 or 1/(1-rate): the gradient is g * mask
  NABLA_DISPATCH_FLOAT(x.dtype(), T, {
    const T* xp = x.data<T>();
    T* o = out.data<T>();
    T* m = mask.data<T>();
    const T scale = T(1.0 / (1.0 - rate));
    parallel_for(0, x.numel(), 8, [&](int64_t s, int64_t e) {
      // Indices are 32-bit within blocks of 2^32 elements; each block draws with its own key.
      constexpr int64_t kBlock = int64_t(1) << 32;
      for (int64_t b = s; b < e;) {
        const int64_t base = b / kBlock * kBlock, stop = std::min(e, base + kBlock);
        const uint64_t k = base ? splitmix64(key + uint64_t(base / kBlock)) : key;
        dropout_block_any(xp + base, o + base, m + base, b - base, stop - base, k, threshold, scale);
        b = stop;
      }
    });
  });
  return record(out, "dropout", {&x0}, [&] {
    return [mask](const Tensor& g0, GradList& gi) {
      Tensor g = g0.contiguous();
      Tensor d = make_tensor(g.shape(), g.dtype());
      NABLA_DISPATCH_FLOAT(g.dtype(), T, kernels::binary_loop<T, T>(g, mask, d, [](T a, T b) { return a * b; }));
      gi[0] = d;
    };
  });
}

}  // namespace nabla
