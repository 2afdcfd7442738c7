// nabla lite side by side (issue 14), the nabla part; bench/lite_bench.sh drives it with the ONNX Runtime peer
// (bench/lite_ort.cjs) and bench/lite_summary.py prints the table.
//   lite_bench train --model mlp|cnn --epochs N --dir DIR
//     trains the reference MNIST MLP (5 epochs, batch 32) or the Fashion-MNIST CNN (batch 128) of examples/ on the
//     full training set; writes DIR/<model>.keras (weights, no optimizer), DIR/<model>.nblite (int8, calibrated on
//     1000 training images), DIR/<model>.onnx (float32, the ONNX Runtime peer's input) and DIR/<model>.qdq.onnx;
//     prints the float32 and int8 accuracies on the full test set and the file sizes (one JSON line).
//   lite_bench time --model mlp|cnn --dir DIR --format fp32|int8 --threads T
//     loads DIR/<model>.keras or .nblite with load_model and times predict_on_batch on test images: batch-1
//     latency (median over 2000 calls after 200) and batch-256 throughput (median over passes over the test set
//     after one warm-up pass); prints one JSON line with the load average at the end of the run.
#include <sys/stat.h>

#include <fstream>

#include "bench_util.h"
#include "nabla/lite/lite_model.h"
#include "nabla/lite/quantize.h"

using namespace nabla;

namespace {

std::string arg(int argc, char** argv, const std::string& name, const std::string& dflt) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name) return argv[i + 1];
  return dflt;
}

int64_t file_size(const std::string& p) {
  struct stat st{};
  return stat(p.c_str(), &st) == 0 ? int64_t(st.st_size) : -1;
}

double loadavg() {
  std::ifstream f("/proc/loadavg");
  double one = -1;
  f >> one;
  return one;
}

// Test images shaped for the model, float32 in [0, 1].
std::pair<Tensor, Tensor> test_set(const std::string& model) {
  auto data = model == "mlp" ? datasets::mnist::load_data() : datasets::fashion_mnist::load_data();
  Tensor x = data.test.images.to(f32) / 255.0;
  if (model == "cnn") x = x.reshape({-1, 28, 28, 1});
  return {x.contiguous(), data.test.labels};
}

double accuracy(const Tensor& probs, const Tensor& labels) {
  const Tensor pred = nabla::argmax(probs, -1);
  const auto p = pred.to_vector<int64_t>(), y = labels.to_vector<int64_t>();
  int64_t right = 0;
  for (size_t i = 0; i < y.size(); ++i) right += p[i] == y[i];
  return double(right) / double(y.size());
}

int train(const std::string& which, int epochs, const std::string& dir) {
  manual_seed(0);
  const bool mlp = which == "mlp";
  auto data = mlp ? datasets::mnist::load_data() : datasets::fashion_mnist::load_data();
  Tensor x = data.train.images.to(f32) / 255.0;
  if (!mlp) x = x.reshape({-1, 28, 28, 1});
  std::unique_ptr<Sequential> model;
  if (mlp) {
    model = bench::make_mnist_mlp();
  } else {
    model = std::make_unique<Sequential>(std::vector<nn::LayerPtr>{
        layers::Conv2D(32, 3, "relu", {.input_shape = {28, 28, 1}}), layers::MaxPooling2D(2),
        layers::Conv2D(64, 3, "relu"), layers::MaxPooling2D(2), layers::Flatten(), layers::Dropout(0.5),
        layers::Dense(10, "softmax")});
    bench::compile_with_adam(*model);
  }
  auto t0 = bench::Clock::now();
  model->fit(x, data.train.labels, {.epochs = epochs, .batch_size = mlp ? 32 : 128, .verbose = 0});
  const double fit_s = bench::seconds_since(t0);
  const std::string base = dir + "/" + which;
  save_model(*model, base + ".keras", {.include_optimizer = false});
  save_model(*model, base + ".with_optimizer.keras");
  save_model(*model, base + ".onnx");
  t0 = bench::Clock::now();
  const lite::QModel q = lite::quantize(*model, x.slice(0, 0, 1000));
  const double quantize_s = bench::seconds_since(t0);
  save_model(q, base + ".nblite");
  auto qmodel = load_model(base + ".nblite");
  save_model(*qmodel, base + ".qdq.onnx");
  auto [xt, yt] = test_set(which);
  const double acc_fp32 = accuracy(model->predict(xt, {.batch_size = 256}), yt);
  const double acc_int8 = accuracy(qmodel->predict(xt, {.batch_size = 256}), yt);
  nlohmann::json calib = nlohmann::json::object();
  for (const auto& t : q.tensors) calib[t.name] = t.calibration;
  nlohmann::json out = {{"phase", "train"},
                        {"model", which},
                        {"epochs", epochs},
                        {"fit_seconds", fit_s},
                        {"quantize_seconds", quantize_s},
                        {"accuracy_fp32", acc_fp32},
                        {"accuracy_int8", acc_int8},
                        {"bytes_keras", file_size(base + ".keras")},
                        {"bytes_keras_with_optimizer", file_size(base + ".with_optimizer.keras")},
                        {"bytes_nblite", file_size(base + ".nblite")},
                        {"bytes_onnx_fp32", file_size(base + ".onnx")},
                        {"bytes_onnx_qdq", file_size(base + ".qdq.onnx")},
                        {"calibration", calib},
                        {"loadavg", loadavg()}};
  std::cout << out.dump() << std::endl;
  return 0;
}

int time_model(const std::string& which, const std::string& dir, const std::string& format, int threads) {
  set_num_threads(threads);
  auto model = load_model(dir + "/" + which + (format == "int8" ? ".nblite" : ".keras"), {.compile = false});
  if (auto* q = dynamic_cast<lite::InterpreterLayer*>(model->layers().back().get()))
    q->interpreter().set_num_threads(threads);
  auto [x, y] = test_set(which);
  const int64_t n = x.size(0);
  constexpr int kWarmup = 200, kCalls = 2000, kBatch = 256;
  std::vector<Tensor> rows;
  for (int64_t i = 0; i < kWarmup + kCalls; ++i) rows.push_back(x.slice(0, i % n, i % n + 1));
  std::vector<double> latency_ms;
  for (size_t i = 0; i < rows.size(); ++i) {
    auto t0 = bench::Clock::now();
    model->predict_on_batch(rows[i]);
    if (int(i) >= kWarmup) latency_ms.push_back(1e3 * bench::seconds_since(t0));
  }
  std::vector<Tensor> batches;
  for (int64_t i = 0; i + kBatch <= n; i += kBatch) batches.push_back(x.slice(0, i, i + kBatch).contiguous());
  const int passes = which == "mlp" ? 20 : 5;
  std::vector<double> sps;
  for (int pass = 0; pass <= passes; ++pass) {
    auto t0 = bench::Clock::now();
    for (const Tensor& b : batches) model->predict_on_batch(b);
    const double s = bench::seconds_since(t0);
    if (pass > 0) sps.push_back(double(batches.size() * kBatch) / s);
  }
  nlohmann::json out = {{"phase", "time"},
                        {"framework", "nabla"},
                        {"format", format},
                        {"model", which},
                        {"threads", threads},
                        {"latency_ms_median", bench::median(latency_ms)},
                        {"throughput_samples_per_s", bench::median(sps)},
                        {"loadavg", loadavg()}};
  std::cout << out.dump() << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string phase = argc > 1 ? argv[1] : "";
  const std::string which = arg(argc, argv, "--model", "mlp"), dir = arg(argc, argv, "--dir", ".");
  if ((phase != "train" && phase != "time") || (which != "mlp" && which != "cnn")) {
    std::cerr << "usage: lite_bench train|time --model mlp|cnn --dir DIR [--epochs N] [--format fp32|int8] "
                 "[--threads T]\n";
    return 2;
  }
  if (phase == "train") return train(which, std::stoi(arg(argc, argv, "--epochs", "5")), dir);
  return time_model(which, dir, arg(argc, argv, "--format", "int8"), std::stoi(arg(argc, argv, "--threads", "1")));
}
