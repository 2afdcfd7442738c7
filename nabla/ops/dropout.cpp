#include "nabla/ops/dropout.h"

#include "nabla/autograd/node.h"
#include "nabla/core/parallel.h"
#include "nabla/core/random.h"
#include "nabla/kernels/elementwise.h"

namespace nabla {

using autograd::GradList;
using autograd::record;

Tensor dropout(const Tensor& x0, double rate, bool training, Generator* gen) {
  NABLA_CHECK(rate >= 0 && rate < 1, "dropout rate must be in [0, 1), got ", rate);
  if (!training || rate == 0) return x0;
  Tensor x = x0.contiguous();
  uint64_t key = (gen ? *gen : default_generator()).next_u64();
  Tensor out = make_tensor(x.shape(), x.dtype());
  Tensor mask = make_tensor(x.shape(), x.dtype());  // 0 or 1/(1-rate): the gradient is g * mask
  NABLA_DISPATCH_FLOAT(x.dtype(), T, {
    const T* xp = x.data<T>();
    T* o = out.data<T>();
    T* m = mask.data<T>();
    T scale = T(1.0 / (1.0 - rate));
    float r = float(rate);
    parallel_for(0, x.numel(), 8, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) {
        m[i] = counter_uniform(key, uint64_t(i)) >= r ? scale : T(0);
        o[i] = xp[i] * m[i];
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
