// Micro-benchmarks of nabla's float32 convolution passes at the Fashion-MNIST CNN's shapes (batch 128): conv 1
// (28x28, 1 -> 32 channels) and conv 2 (13x13, 32 -> 64), 3x3, stride 1, valid padding. Each pass as one
// training step calls it: the forward with bias and relu fused, the data gradient, the weight and bias
// gradients. Threads: NABLA_NUM_THREADS; the path: NABLA_CONV_IMPL; the ISA: NABLA_MAX_CPU_ISA and
// ONEDNN_MAX_CPU_ISA. The GFLOP counter is a rate over wall-clock time.
// Run: build/release/bench/conv_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <nabla/kernels/conv.h>
#include <nabla/nabla.h>

namespace {

using namespace nabla;

enum Pass { kForward = 0, kBackwardData = 1, kBackwardWeights = 2 };

kernels::Conv2DGeometry geometry(int64_t conv) {
  kernels::Conv2DGeometry g;
  g.n = 128;
  g.kh = g.kw = 3;
  if (conv == 1) {
    g.h = g.w = 28;
    g.c = 1;
    g.o = 32;
  } else {
    g.h = g.w = 13;
    g.c = 32;
    g.o = 64;
  }
  g.oh = g.h - 2;
  g.ow = g.w - 2;
  return g;
}

void BM_Conv2D(benchmark::State& state) {
  const kernels::Conv2DGeometry g = geometry(state.range(0));
  const Pass pass = Pass(state.range(1));
  Generator gen(1);
  Tensor x = Tensor::uniform({g.n, g.h, g.w, g.c}, 0, 1, f32, &gen);
  Tensor w = Tensor::uniform({g.kh, g.kw, g.c, g.o}, -0.3, 0.3, f32, &gen);
  Tensor b = Tensor::uniform({g.o}, -0.1, 0.1, f32, &gen);
  Tensor y = Tensor::empty({g.n, g.oh, g.ow, g.o});
  Tensor gy = Tensor::uniform({g.n, g.oh, g.ow, g.o}, -1, 1, f32, &gen);
  Tensor gx = Tensor::empty(x.shape()), gw = Tensor::empty(w.shape()), gb = Tensor::empty(b.shape());
  for (auto _ : state) {
    if (pass == kForward) kernels::conv2d_forward(x, w, b, y, g, kernels::FusedActivation::relu);
    if (pass == kBackwardData) kernels::conv2d_backward_data(gy, w, gx, g);
    if (pass == kBackwardWeights) kernels::conv2d_backward_weights(x, gy, gw, &gb, g);
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP"] = benchmark::Counter(1e-9 * g.flops(), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Conv2D)
    ->ArgNames({"conv", "pass"})
    ->ArgsProduct({{1}, {kForward, kBackwardWeights}})  // conv 1's input needs no gradient
    ->ArgsProduct({{2}, {kForward, kBackwardData, kBackwardWeights}})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
