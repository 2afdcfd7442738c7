#pragma once
// Denormal (subnormal) floats flushed to zero while a scope is alive, on the calling thread: results below the
// smallest normal float become 0 (FTZ) and denormal inputs read as 0 (DAZ), as TensorFlow runs its kernels
// (tensorflow/core/platform/denormal.h) and torch.set_flush_denormal(True) asks. The x86 MXCSR bits are per
// thread, so a parallel loop enters a scope inside its body, on every thread that runs it.
//
// Why: optimizer state decays geometrically (Adam's m by beta_1 each step) and, for weights whose gradient is
// mostly zero (MNIST's border pixels), lands on denormals and stays there (0.9 x a few ulps rounds back to the
// same denormal). On Intel cores every arithmetic on a denormal takes a microcode assist: W1's Adam update made
// the whole step 2.2x slower on a Xeon (0.65 vs 0.29 s/epoch, 1 thread), and PyTorch's Adam loses the same way
// unless flushing is switched on. Flushing changes only values below ~1.2e-38 (float) and is deterministic.
#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#endif

namespace nabla {

class ScopedFlushDenormal {
 public:
#if defined(__SSE__) || defined(__x86_64__)
  static constexpr unsigned kFlushBits = 0x8040;  // MXCSR: flush-to-zero (bit 15) and denormals-are-zero (bit 6)
  ScopedFlushDenormal() : saved_(_mm_getcsr()) {
    if ((saved_ & kFlushBits) != kFlushBits) _mm_setcsr(saved_ | kFlushBits);
  }
  ~ScopedFlushDenormal() {
    if ((saved_ & kFlushBits) != kFlushBits) _mm_setcsr(saved_);
  }
#else
  ScopedFlushDenormal() {}
#endif
  ScopedFlushDenormal(const ScopedFlushDenormal&) = delete;
  ScopedFlushDenormal& operator=(const ScopedFlushDenormal&) = delete;

 private:
  [[maybe_unused]] unsigned saved_ = 0;
};

}  // namespace nabla
