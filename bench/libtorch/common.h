#pragma once
// What the LibTorch bench programs share, mirroring bench/torch_mnist.py step for step: arguments, threads, the
// IDX reader, Keras's initialisation, the training loop, accuracy and the JSON result line.
#include <dlfcn.h>
#include <zlib.h>

#include <cstdlib>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "../timing.h"

namespace libtorch_bench {

struct Args {
  int epochs = 5;
  int64_t batch_size = 32;
  int threads = 1;
  uint64_t seed = 0;
  std::string data;  // the dataset's directory; empty: $NABLA_DATA (or ~/.nabla/datasets) / the dataset's name
};

// Parses [--epochs N] [--batch-size B] [--threads N] [--seed S] [--data DIR] over the program's defaults.
inline Args parse_args(int argc, char** argv, const char* dataset, Args defaults) {
  Args a = defaults;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    bool has_value = i + 1 < argc;
    if (s == "--epochs" && has_value) a.epochs = std::atoi(argv[++i]);
    else if (s == "--batch-size" && has_value) a.batch_size = std::atoll(argv[++i]);
    else if (s == "--threads" && has_value) a.threads = std::atoi(argv[++i]);
    else if (s == "--seed" && has_value) a.seed = std::strtoull(argv[++i], nullptr, 10);
    else if (s == "--data" && has_value) a.data = argv[++i];
    else {
      std::cerr << "usage: " << argv[0] << " [--epochs N] [--batch-size B] [--threads N] [--seed S] [--data DIR]\n";
      std::exit(2);
    }
  }
  if (a.data.empty()) {
    const char* root = std::getenv("NABLA_DATA");
    const char* home = std::getenv("HOME");
    a.data = (root ? std::string(root) : std::string(home ? home : ".") + "/.nabla/datasets") + "/" + dataset;
  }
  return a;
}

// OpenBLAS's thread count, through its own API when libtorch's BLAS is OpenBLAS (Debian's is: BLAS_INFO=generic
// resolves to libblas.so.3 -> OpenBLAS). Its pool ignores torch::set_num_threads and, left at one thread per CPU
// beside torch's OpenMP threads, oversubscribes the cores (see torch_mnist.py). -1: not OpenBLAS.
inline int openblas_threads(int set_to = 0) {
  using Set = void (*)(int);
  using Get = int (*)();
  if (set_to > 0) {
    if (auto set = reinterpret_cast<Set>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(set_to);
  }
  auto get = reinterpret_cast<Get>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  return get ? get() : -1;
}

inline void setup(const Args& a) {
  // Denormals flushed to zero, as in torch_mnist.py (torch.set_flush_denormal), before the thread pool starts.
  at::globalContext().setFlushDenormal(true);
  torch::set_num_threads(a.threads);
  openblas_threads(a.threads);
  torch::manual_seed(a.seed);
}

// An IDX file of unsigned bytes (raw, or .gz when only that exists; gzread reads both) as a uint8 tensor.
inline torch::Tensor read_idx(std::string path) {
  if (FILE* f = std::fopen(path.c_str(), "rb")) std::fclose(f);
  else path += ".gz";
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error("cannot open " + path);
  auto read = [&](void* dst, unsigned bytes) {
    if (gzread(f, dst, bytes) != int(bytes)) {
      gzclose(f);
      throw std::runtime_error(path + ": truncated IDX file");
    }
  };
  unsigned char magic[4];
  read(magic, 4);
  if (magic[0] != 0 || magic[1] != 0 || magic[2] != 0x08) {
    gzclose(f);
    throw std::runtime_error(path + ": not an IDX file of unsigned bytes");
  }
  std::vector<int64_t> dims(magic[3]);
  for (int64_t& d : dims) {
    unsigned char be[4];
    read(be, 4);
    d = int64_t(be[0]) << 24 | int64_t(be[1]) << 16 | int64_t(be[2]) << 8 | int64_t(be[3]);
  }
  torch::Tensor t = torch::empty(dims, torch::kUInt8);
  read(t.data_ptr(), unsigned(t.numel()));
  gzclose(f);
  return t;
}

struct Data {
  torch::Tensor x_train, y_train, x_test, y_test;  // images float32 in [0, 1], labels int64
};

inline Data load(const std::string& dir) {
  auto images = [&](const char* name) { return read_idx(dir + "/" + name).to(torch::kFloat32) / 255.0; };
  auto labels = [&](const char* name) { return read_idx(dir + "/" + name).to(torch::kInt64); };
  return {images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte"), images("t10k-images-idx3-ubyte"),
          labels("t10k-labels-idx1-ubyte")};
}

// Keras's defaults: Glorot-uniform kernels, zero biases.
inline torch::nn::Sequential glorot_init(torch::nn::Sequential model) {
  for (auto& m : model->modules(/*include_self=*/false)) {
    torch::Tensor* w = m->named_parameters(false).find("weight");
    torch::Tensor* b = m->named_parameters(false).find("bias");
    if (w && w->dim() >= 2) torch::nn::init::xavier_uniform_(*w);
    if (b) torch::nn::init::zeros_(*b);
  }
  return model;
}

// The reference MNIST MLP; cross_entropy on its logits stands for Keras's softmax + sparse crossentropy.
inline torch::nn::Sequential make_mlp() {
  namespace nn = torch::nn;
  return glorot_init(nn::Sequential(nn::Flatten(), nn::Linear(784, 128), nn::ReLU(), nn::Dropout(0.2),
                                    nn::Linear(128, 10)));
}

using nabla::bench::Clock;
using nabla::bench::median;
using nabla::bench::quantile;
using nabla::bench::seconds_since;

struct TrainResult {
  std::vector<double> epoch_seconds;
  double loss = NAN;  // the last epoch's mean
};

// Adam (lr 1e-3, eps 1e-7) over batches shuffled every epoch, as torch_mnist.py's train().
inline TrainResult train(torch::nn::Sequential model, const torch::Tensor& x, const torch::Tensor& y, int64_t batch,
                         int epochs) {
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-3).eps(1e-7));
  const int64_t n = x.size(0);
  TrainResult r;
  for (int e = 0; e < epochs; ++e) {
    auto start = Clock::now();
    model->train();
    torch::Tensor perm = torch::randperm(n);
    double total = 0;
    int64_t count = 0;
    for (int64_t i = 0; i < n; i += batch) {
      torch::Tensor idx = perm.slice(0, i, std::min(i + batch, n));
      // Python's zero_grad(set_to_none=True): 1.13's C++ Optimizer::zero_grad() fills the gradients with zeros.
      for (auto& p : model->parameters()) p.mutable_grad() = torch::Tensor();
      torch::Tensor loss = torch::nn::functional::cross_entropy(model->forward(x.index_select(0, idx)),
                                                                y.index_select(0, idx));
      loss.backward();
      opt.step();
      // The running mean loss, as Keras's progress bar keeps; a sync per step like nabla's and PyTorch's.
      total += loss.item<double>() * double(idx.size(0));
      count += idx.size(0);
    }
    r.loss = total / double(count);
    r.epoch_seconds.push_back(seconds_since(start));
  }
  return r;
}

inline double accuracy(torch::nn::Sequential model, const torch::Tensor& x, const torch::Tensor& y) {
  model->eval();
  torch::NoGradGuard no_grad;
  int64_t correct = 0;
  for (int64_t i = 0; i < x.size(0); i += 1000) {
    correct += model->forward(x.slice(0, i, i + 1000)).argmax(1).eq(y.slice(0, i, i + 1000)).sum().item<int64_t>();
  }
  return double(correct) / double(x.size(0));
}

// The fields every result line starts with; callers add theirs and print it with print_result.
inline nlohmann::json result(const std::string& workload, const Args& a) {
  return {{"framework", "libtorch"}, {"workload", workload},     {"threads", torch::get_num_threads()},
          {"epochs", a.epochs},       {"batch_size", a.batch_size}, {"torch_version", TORCH_VERSION},
          {"openblas_threads", openblas_threads()}};
}
inline void print_result(const nlohmann::json& j) { std::cout << j.dump() << std::endl; }

// Loads a.data, trains model on it and prints the result line; prepare reshapes the images.
// Loads the data, then builds the model (as the seed program and bench/torch_mnist.py: data first).
inline void train_and_report(const std::string& workload, const Args& a,
                             const std::function<torch::nn::Sequential()>& make_model,
                             const std::function<torch::Tensor(const torch::Tensor&)>& prepare =
                                 [](const torch::Tensor& x) { return x; }) {
  auto t0 = Clock::now();
  Data d = load(a.data);
  d.x_train = prepare(d.x_train);
  d.x_test = prepare(d.x_test);
  double load_seconds = seconds_since(t0);
  torch::nn::Sequential model = make_model();
  TrainResult r = train(model, d.x_train, d.y_train, a.batch_size, a.epochs);
  nlohmann::json j = result(workload, a);
  j["epoch_seconds"] = r.epoch_seconds;
  j["train_loss"] = r.loss;
  j["test_accuracy"] = accuracy(model, d.x_test, d.y_test);
  j["load_seconds"] = load_seconds;
  print_result(j);
}

}  // namespace libtorch_bench
