#include <cstdlib>

#include "nabla/kernels/gemm.h"
#include "test_util.h"

namespace nabla {
namespace {

// After warm-up, a training step must be served entirely by the caching allocator and the primitive cache.
TEST(SteadyState, TrainingStepMakesNoSystemAllocationsOrPrimitives) {
  // With fit's step-thread tuner off: how far its probe gets in a short fit depends on step times, and each of its
  // thread counts has its own primitives (a count's first step creates them, once).
  ::setenv("NABLA_ADAPTIVE_THREADS", "0", 1);
  manual_seed(3);
  Sequential model({layers::Flatten({28, 28}), layers::Dense(128, "relu"), layers::Dropout(0.2),
                    layers::Dense(10, "softmax")});
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  Tensor x = Tensor::uniform({256, 28, 28}, 0, 1);
  Tensor y = Tensor::full({256}, 3, u8);
  model.fit(x, y, {.epochs = 1, .verbose = 0});
  reset_memory_counters();
  int64_t prims = kernels::gemm_primitives_created();
  model.fit(x, y, {.epochs = 2, .verbose = 0});
  EXPECT_EQ(memory_stats().system_allocs, 0u);
  EXPECT_GT(memory_stats().cache_hits, 0u);
  EXPECT_EQ(kernels::gemm_primitives_created(), prims);
  ::unsetenv("NABLA_ADAPTIVE_THREADS");
}

}  // namespace
}  // namespace nabla
