// W5, GEMM efficiency: the GFLOP/s of the GEMMs in one training step of the reference MNIST MLP's two Dense
// layers, at batch 32 (W1) and 256 (W2), as a fraction of this machine's GEMM peak: kernels::gemm's (oneDNN's
// f32 matmul) single-thread rate on 1024^3, measured in the same run, times the threads in use.
// The GEMMs are called as nabla/ops/linear.cpp calls them:
//   Dense(128) on x [B,784]: forward x W with bias and relu fused, kernel gradient x^T g (the input of the first
//   layer needs no gradient);
//   Dense(10) on h [B,128]: forward h W with bias, kernel gradient h^T g, input gradient g W^T.
// Each GEMM is timed on its own (median over rounds); a batch size's achieved rate is its total flops over the
// sum of those times. Prints one JSON object. Threads: NABLA_NUM_THREADS (kernels::gemm_threads still runs
// small GEMMs on one thread, which the fraction then shows).
// Usage: gemm_efficiency    (side_by_side.py runs it as W5; gemm_bench has the same shapes in Google Benchmark)
#include <functional>

#include <nabla/kernels/gemm.h>

#include "bench_util.h"
using namespace nabla;

namespace {

struct Gemm {
  std::string name;
  Tensor a;
  bool trans_a;
  Tensor b;
  bool trans_b;
  Tensor bias;
  kernels::FusedActivation epilogue;
  Tensor c;

  // C = op(A) op(B): M x K times K x N.
  double flops() const {
    int64_t m = trans_a ? a.size(1) : a.size(0), k = trans_a ? a.size(0) : a.size(1);
    int64_t n = trans_b ? b.size(0) : b.size(1);
    return 2.0 * double(m) * double(n) * double(k);
  }
  void run() { kernels::gemm(a, trans_a, b, trans_b, c, bias, epilogue); }
};

Gemm make_gemm(std::string name, Shape a_shape, bool trans_a, Shape b_shape, bool trans_b, Shape c_shape,
               bool bias = false, kernels::FusedActivation epilogue = kernels::FusedActivation::none) {
  static Generator gen(1);
  auto uniform = [](const Shape& s) { return Tensor::uniform(s, -1, 1, f32, &gen); };
  return {std::move(name), uniform(a_shape), trans_a, uniform(b_shape), trans_b,
          bias ? uniform({c_shape[1]}) : Tensor(), epilogue, Tensor::empty(c_shape)};
}

// The five GEMMs of one training step of Dense(128, relu) -> Dense(10) at this batch size.
std::vector<Gemm> mlp_step_gemms(int64_t batch) {
  using kernels::FusedActivation;
  return {
      make_gemm("dense128 forward x W", {batch, 784}, false, {784, 128}, false, {batch, 128}, true,
                FusedActivation::relu),
      make_gemm("dense128 dW = x^T g", {batch, 784}, true, {batch, 128}, false, {784, 128}),
      make_gemm("dense10 forward h W", {batch, 128}, false, {128, 10}, false, {batch, 10}, true),
      make_gemm("dense10 dW = h^T g", {batch, 128}, true, {batch, 10}, false, {128, 10}),
      make_gemm("dense10 dX = g W^T", {batch, 10}, false, {128, 10}, true, {batch, 128}),
  };
}

// Median seconds per call of g over kRounds rounds of ~20 ms each, after a warm-up that also sizes the rounds.
double seconds_per_call(Gemm& g) {
  constexpr int kRounds = 15;
  constexpr double kRoundSeconds = 0.02;
  auto t0 = bench::Clock::now();
  int warmup = 0;
  while (bench::seconds_since(t0) < kRoundSeconds || warmup < 3) {
    g.run();
    ++warmup;
  }
  const int calls = std::max(1, int(kRoundSeconds / (bench::seconds_since(t0) / warmup)));
  std::vector<double> per_call;
  for (int r = 0; r < kRounds; ++r) {
    auto t = bench::Clock::now();
    for (int i = 0; i < calls; ++i) g.run();
    per_call.push_back(bench::seconds_since(t) / calls);
  }
  return bench::median(per_call);
}

}  // namespace

int main() {
  const int threads = get_num_threads();
  set_num_threads(1);
  Gemm square = make_gemm("1024^3", {1024, 1024}, false, {1024, 1024}, false, {1024, 1024});
  const double peak_1thread = 1e-9 * square.flops() / seconds_per_call(square);
  set_num_threads(threads);
  const double peak = peak_1thread * threads;

  nlohmann::json batches = nlohmann::json::object();
  for (int64_t batch : {32, 256}) {
    double flops = 0, seconds = 0;
    nlohmann::json gemms = nlohmann::json::array();
    for (Gemm& g : mlp_step_gemms(batch)) {
      double s = seconds_per_call(g);
      flops += g.flops();
      seconds += s;
      gemms.push_back({{"gemm", g.name}, {"gflops", 1e-9 * g.flops() / s}, {"fraction", 1e-9 * g.flops() / s / peak}});
    }
    batches[std::to_string(batch)] = {{"gflops", 1e-9 * flops / seconds},
                                      {"fraction", 1e-9 * flops / seconds / peak},
                                      {"step_gemm_us", 1e6 * seconds},
                                      {"gemms", gemms}};
  }
  nlohmann::json out = {{"framework", "nabla"},
                        {"workload", "gemm_efficiency"},
                        {"threads", threads},
                        {"peak_gflops_1thread", peak_1thread},
                        {"peak_gflops", peak},
                        {"batches", batches}};
  std::cout << out.dump() << std::endl;
}
