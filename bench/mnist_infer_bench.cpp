// W4, inference of the reference MNIST MLP (bench_util.h's make_mnist_mlp) through Model::predict_on_batch, one
// forward pass without gradients, softmax included:
// - batch-1 latency: median and p99 over kLatencyCalls calls after kWarmupCalls, each on one MNIST test row;
// - batch-B throughput (B = --batch-size, 256 by default): samples/s, the median over kPasses passes over the
//   test set's full batches, after one warm-up pass.
// Inputs are sliced before the clock starts, so only the model call is timed. With --epochs 0 (the default) the
// weights are the initial ones: a forward pass costs the same whatever their values; --epochs N trains first.
// Prints one JSON object. Threads: NABLA_NUM_THREADS. torch_mnist_infer.py and libtorch/mnist_infer.cpp time
// their models the same way. Usage: mnist_infer_bench [--epochs N] [--batch-size B] [--seed S]
#include "bench_util.h"
using namespace nabla;

namespace {
// About a second each: timings on this kind of shared machine drift by a third over fractions of a second.
constexpr int kWarmupCalls = 1000, kLatencyCalls = 20000, kPasses = 50;
}

int main(int argc, char** argv) {
  bench::Args args = bench::parse_args(argc, argv, "mnist_infer_bench", {.epochs = 0, .batch_size = 256});
  manual_seed(args.seed);
  auto [train, test] = datasets::mnist::load_data();
  Tensor x_test = test.images.to(f32) / 255.0;
  auto model = bench::make_mnist_mlp();
  if (args.epochs > 0) {
    model->fit(train.images.to(f32) / 255.0, train.labels,
               {.epochs = args.epochs, .batch_size = 32, .verbose = 0, .shuffle = true});
  }

  const int64_t n = x_test.size(0);
  std::vector<Tensor> rows;
  for (int64_t i = 0; i < kWarmupCalls + kLatencyCalls; ++i) rows.push_back(x_test.slice(0, i % n, i % n + 1));
  std::vector<double> latency_ms;
  for (size_t i = 0; i < rows.size(); ++i) {
    auto t0 = bench::Clock::now();
    model->predict_on_batch(rows[i]);
    if (int(i) >= kWarmupCalls) latency_ms.push_back(1e3 * bench::seconds_since(t0));
  }

  std::vector<Tensor> batches;
  for (int64_t i = 0; i + args.batch_size <= n; i += args.batch_size) {
    batches.push_back(x_test.slice(0, i, i + args.batch_size));
  }
  std::vector<double> samples_per_s;
  for (int pass = 0; pass <= kPasses; ++pass) {
    auto t0 = bench::Clock::now();
    for (const Tensor& b : batches) model->predict_on_batch(b);
    double s = bench::seconds_since(t0);
    if (pass > 0) samples_per_s.push_back(double(batches.size() * args.batch_size) / s);
  }

  nlohmann::json out = {{"framework", "nabla"},
                        {"workload", "mnist_mlp_inference"},
                        {"threads", get_num_threads()},
                        {"epochs", args.epochs},
                        {"batch_size", args.batch_size},
                        {"latency_calls", kLatencyCalls},
                        {"latency_ms_median", bench::median(latency_ms)},
                        {"latency_ms_p99", bench::quantile(latency_ms, 0.99)},
                        {"throughput_samples_per_s", bench::median(samples_per_s)}};
  std::cout << out.dump() << std::endl;
}
