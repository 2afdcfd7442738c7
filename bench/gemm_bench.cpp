// Micro-benchmarks of nabla's GEMM (oneDNN, float32) at the shapes the MNIST MLP runs, plus a large square
// one for peak throughput, and of a Dense layer's forward + backward. Threads: NABLA_NUM_THREADS. The GFLOP
// counter is a rate (shown as GFLOP=x/s) over wall-clock time.
// Run: build/release/bench/gemm_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <nabla/kernels/gemm.h>
#include <nabla/kernels/sparse_gemm.h>
#include <nabla/nabla.h>

namespace {

using namespace nabla;

// C[M,N] = op(A) * B[K,N]; with trans_a, A is stored [K,M] and read transposed, as Dense's backward computes
// dW = x^T g from the batch x [32, 784].
void BM_Gemm(benchmark::State& state) {
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  const bool trans_a = state.range(3) != 0;
  Generator g(1);
  Tensor a = trans_a ? Tensor::uniform({k, m}, -1, 1, f32, &g) : Tensor::uniform({m, k}, -1, 1, f32, &g);
  Tensor b = Tensor::uniform({k, n}, -1, 1, f32, &g);
  Tensor c = Tensor::empty({m, n});
  for (auto _ : state) {
    kernels::gemm(a, trans_a, b, false, c);
    benchmark::DoNotOptimize(c.raw_data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP"] =
      benchmark::Counter(2e-9 * double(m) * double(n) * double(k), benchmark::Counter::kIsIterationInvariantRate);
  state.SetLabel(std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n) + (trans_a ? " A^T" : "") +
                 ", threads " + std::to_string(get_num_threads()));
}
// Args: M, K, N, trans_a.
BENCHMARK(BM_Gemm)
    ->ArgNames({"M", "K", "N", "transA"})
    ->Args({32, 784, 128, 0})     // Dense(128) forward at batch 32
    ->Args({784, 32, 128, 1})     // its kernel gradient x^T g
    ->Args({32, 128, 10, 0})      // Dense(10) forward
    ->Args({256, 784, 128, 0})    // Dense(128) forward at batch 256
    ->Args({1024, 1024, 1024, 0})
    ->UseRealTime()  // oneDNN's threads do the work: wall-clock time, not the calling thread's CPU time
    ->Unit(benchmark::kMicrosecond);

// The same GEMMs with an A operand whose values are zero except a `density_pct` percent, at random places (MNIST
// pixels: 19% non-zero), with zero skipping on (skip 1: kernels/sparse_gemm.h) or off (skip 0: oneDNN dense).
void BM_GemmSparseA(benchmark::State& state) {
  const int64_t m = state.range(0), k = state.range(1), n = state.range(2);
  const bool trans_a = state.range(3) != 0;
  const double density = double(state.range(4)) / 100.0;
  Generator g(3);
  Tensor a = trans_a ? Tensor::uniform({k, m}, 0, 1, f32, &g) : Tensor::uniform({m, k}, 0, 1, f32, &g);
  Tensor keep = Tensor::uniform(a.shape(), 0, 1, f32, &g);
  float* pa = a.data<float>();
  const float* pk = keep.data<float>();
  for (int64_t i = 0; i < a.numel(); ++i)
    if (pk[i] >= density) pa[i] = 0.0f;
  Tensor b = Tensor::uniform({k, n}, -1, 1, f32, &g);
  Tensor c = Tensor::empty({m, n});
  const bool was = kernels::zero_skipping();
  kernels::set_zero_skipping(state.range(5) != 0);
  for (auto _ : state) {
    kernels::gemm(a, trans_a, b, false, c);
    benchmark::DoNotOptimize(c.raw_data());
    benchmark::ClobberMemory();
  }
  kernels::set_zero_skipping(was);
  state.counters["GFLOP"] =  // dense-equivalent flops
      benchmark::Counter(2e-9 * double(m) * double(n) * double(k), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_GemmSparseA)
    ->ArgNames({"M", "K", "N", "transA", "density_pct", "skip"})
    ->ArgsProduct({{32}, {784}, {128}, {0}, {19, 30, 45}, {0, 1}})
    ->ArgsProduct({{784}, {32}, {128}, {1}, {19, 30, 45}, {0, 1}})
    ->ArgsProduct({{256}, {784}, {128}, {0}, {19}, {0, 1}})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// Dense(units, relu) forward and backward on a [batch, 784] input: the GEMMs, the fused bias+relu epilogue,
// the relu mask, the bias gradient and autograd's bookkeeping, as one training step sees them.
void BM_DenseForwardBackward(benchmark::State& state) {
  const int64_t batch = state.range(0), units = state.range(1);
  Generator g(2);
  auto dense = layers::Dense(units, "relu");
  Tensor x = Tensor::uniform({batch, 784}, 0, 1, f32, &g);
  Tensor gy = Tensor::uniform({batch, units}, -1, 1, f32, &g);
  dense->ensure_built({Shape{-1, 784}});
  std::vector<Tensor> params = dense->trainable_weights();
  for (auto _ : state) {
    optim::Optimizer::zero_grad(params);
    Tensor y = (*dense)(x, /*training=*/true);
    y.backward(gy);
    benchmark::DoNotOptimize(params[0].grad().raw_data());
  }
  // Forward x W plus backward x^T g (the input needs no gradient, as for a first layer).
  state.counters["GFLOP"] = benchmark::Counter(2 * 2e-9 * double(batch) * 784.0 * double(units),
                                                 benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_DenseForwardBackward)->ArgNames({"batch", "units"})->Args({32, 128})->Args({256, 128})->UseRealTime()->Unit(
    benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
