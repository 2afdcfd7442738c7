// Micro-benchmarks of nabla's LSTM op (ops/recurrent.h) at W6's shapes: a batch of 32 MNIST images read row by
// row (28 steps of 28 pixels) by 128 units. The forward pass alone (inference, nothing saved) and forward +
// backward as a training step runs them. Threads: NABLA_NUM_THREADS; the row steps' ISA: NABLA_MAX_CPU_ISA (the
// GEMMs' ONEDNN_MAX_CPU_ISA). The GFLOP counter counts the GEMMs' flops only, as a rate over wall-clock time.
// Run: build/release/bench/recurrent_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <nabla/nabla.h>
#include <nabla/ops/recurrent.h>

namespace {

using namespace nabla;

constexpr int64_t kBatch = 32, kSteps = 28, kFeatures = 28, kUnits = 128;

struct Operands {
  Tensor x, kernel, recurrent_kernel, bias, grad;
  explicit Operands(bool train) {
    Generator g(1);
    x = Tensor::uniform({kBatch, kSteps, kFeatures}, 0, 1, f32, &g);
    kernel = Tensor::uniform({kFeatures, 4 * kUnits}, -0.1, 0.1, f32, &g).requires_grad_(train);
    recurrent_kernel = Tensor::uniform({kUnits, 4 * kUnits}, -0.1, 0.1, f32, &g).requires_grad_(train);
    bias = Tensor::uniform({4 * kUnits}, -0.1, 0.1, f32, &g).requires_grad_(train);
    // The op returns the sequence and then the final h and c; a classifier on the last h sends back this.
    grad = Tensor::zeros({kBatch, kSteps + 2, kUnits});
    float* p = grad.data<float>();
    for (int64_t n = 0; n < kBatch; ++n)
      for (int64_t j = 0; j < kUnits; ++j) p[(n * (kSteps + 2) + kSteps) * kUnits + j] = 0.01f * float(j % 7);
  }
};

double gemm_flops(bool train) {
  const double step = 2.0 * kBatch * kUnits * 4 * kUnits, projection = 2.0 * kBatch * kSteps * kFeatures * 4 * kUnits;
  const double forward = kSteps * step + projection;
  // backward: the recurrent GEMM per step, the recurrent kernel's and the kernel's gradients
  return train ? forward + 2 * kSteps * step + projection : forward;
}

void BM_LSTMForward(benchmark::State& state) {
  Operands o(false);
  for (auto _ : state) {
    Tensor y = lstm(o.x, o.kernel, o.recurrent_kernel, o.bias);
    benchmark::DoNotOptimize(y.raw_data());
  }
  state.counters["GFLOP"] = benchmark::Counter(1e-9 * gemm_flops(false), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_LSTMForward)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_LSTMForwardBackward(benchmark::State& state) {
  Operands o(true);
  for (auto _ : state) {
    for (Tensor* w : {&o.kernel, &o.recurrent_kernel, &o.bias}) w->zero_grad();  // as each training step starts
    Tensor y = lstm(o.x, o.kernel, o.recurrent_kernel, o.bias);
    y.backward(o.grad);
    benchmark::DoNotOptimize(o.kernel.grad().raw_data());
  }
  state.counters["GFLOP"] = benchmark::Counter(1e-9 * gemm_flops(true), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_LSTMForwardBackward)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
