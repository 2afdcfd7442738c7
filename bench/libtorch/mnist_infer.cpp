// W4 in LibTorch: inference of the reference MNIST MLP, timed as bench/mnist_infer_bench.cpp times nabla's and
// bench/torch_mnist_infer.py PyTorch's: eval() under torch::InferenceMode, softmax on the logits; batch-1
// latency (median and p99 over kLatencyCalls calls after kWarmupCalls, one test row each) and batch-B throughput
// (--batch-size, 256 by default; the median over kPasses passes over the test set's full batches after one
// warm-up pass). With --epochs 0 (the default) the weights are the initial ones; --epochs N trains first.
// Usage: mnist_infer [--epochs N] [--batch-size B] [--threads N] [--seed S] [--data DIR]
#include "common.h"

namespace {
// About a second each: timings on this kind of shared machine drift by a third over fractions of a second.
constexpr int kWarmupCalls = 1000, kLatencyCalls = 20000, kPasses = 50;
}  // namespace

int main(int argc, char** argv) {
  using namespace libtorch_bench;
  Args args = parse_args(argc, argv, "mnist", {.epochs = 0, .batch_size = 256});
  setup(args);
  Data d = load(args.data);
  torch::nn::Sequential model = make_mlp();
  if (args.epochs > 0) train(model, d.x_train, d.y_train, 32, args.epochs);
  model->eval();
  auto predict = [&](const torch::Tensor& x) { return torch::softmax(model->forward(x), 1); };

  const int64_t n = d.x_test.size(0);
  std::vector<torch::Tensor> rows, batches;
  for (int64_t i = 0; i < kWarmupCalls + kLatencyCalls; ++i) rows.push_back(d.x_test.slice(0, i % n, i % n + 1));
  for (int64_t i = 0; i + args.batch_size <= n; i += args.batch_size) {
    batches.push_back(d.x_test.slice(0, i, i + args.batch_size));
  }
  std::vector<double> latency_ms, samples_per_s;
  c10::InferenceMode inference;
  for (size_t i = 0; i < rows.size(); ++i) {
    auto t0 = Clock::now();
    predict(rows[i]);
    if (int(i) >= kWarmupCalls) latency_ms.push_back(1e3 * seconds_since(t0));
  }
  for (int pass = 0; pass <= kPasses; ++pass) {
    auto t0 = Clock::now();
    for (const torch::Tensor& b : batches) predict(b);
    double s = seconds_since(t0);
    if (pass > 0) samples_per_s.push_back(double(batches.size()) * double(args.batch_size) / s);
  }

  nlohmann::json j = result("mnist_mlp_inference", args);
  j["latency_calls"] = kLatencyCalls;
  j["latency_ms_median"] = median(latency_ms);
  j["latency_ms_p99"] = quantile(latency_ms, 0.99);
  j["throughput_samples_per_s"] = median(samples_per_s);
  print_result(j);
}
