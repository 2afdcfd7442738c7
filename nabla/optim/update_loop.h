#pragma once
// The loop every optimizer update runs its elementwise work in: parallel_for over [0, n) with denormals flushed to
// zero on each thread that runs a block (core/denormals.h). Optimizer state decays geometrically (Adam's m and v,
// RMSprop's v, SGD's velocity, weights under weight decay) and would otherwise settle on denormals, which Intel
// cores compute through microcode assists. TensorFlow runs all its kernels flushed.
#include <cstdint>

#include "nabla/core/denormals.h"
#include "nabla/core/parallel.h"

namespace nabla::optim {

template <class F>
void update_loop(int64_t n, int64_t grain, F&& fn) {
  parallel_for(0, n, grain, [&](int64_t s, int64_t e) {
    ScopedFlushDenormal flush;
    fn(s, e);
  });
}

}  // namespace nabla::optim
