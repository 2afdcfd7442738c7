#pragma once
// What the side-by-side bench programs share: arguments, the reference MLP and the peers' Adam settings, per-epoch
// timing, the JSON result line.
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nabla/nabla.h>
#include <nlohmann/json.hpp>

#include "timing.h"

namespace nabla::bench {

struct Args {
  int epochs = 5;
  int64_t batch_size = 32;
  uint64_t seed = 0;
};

// Parses [--epochs N] [--batch-size B] [--seed S] over the program's defaults; exits with a usage line otherwise.
inline Args parse_args(int argc, char** argv, const char* program, Args defaults = {}) {
  Args a = defaults;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "--epochs" && i + 1 < argc) {
      a.epochs = std::atoi(argv[++i]);
    } else if (s == "--batch-size" && i + 1 < argc) {
      a.batch_size = std::atoll(argv[++i]);
    } else if (s == "--seed" && i + 1 < argc) {
      a.seed = std::strtoull(argv[++i], nullptr, 10);
    } else {
      std::cerr << "usage: " << program << " [--epochs N] [--batch-size B] [--seed S]\n";
      std::exit(2);
    }
  }
  return a;
}

// Adam as the benchmarks' peers run it (lr 1e-3, Keras's epsilon 1e-7).
inline void compile_with_adam(Model& model) {
  optim::AdamOptions adam;
  adam.learning_rate = 1e-3;
  adam.epsilon = 1e-7;
  model.compile(std::make_shared<optim::Adam>(adam), "sparse_categorical_crossentropy", {"accuracy"});
}

// The reference MNIST MLP, compiled: Flatten -> Dense(128, relu) -> Dropout(0.2) -> Dense(10, softmax), with
// Dense's default Glorot-uniform kernels and zero biases.
inline std::unique_ptr<Sequential> make_mnist_mlp() {
  auto model = std::make_unique<Sequential>(std::vector<nn::LayerPtr>{
      layers::Flatten({28, 28}),
      layers::Dense(128, "relu"),
      layers::Dropout(0.2),
      layers::Dense(10, "softmax"),
  });
  compile_with_adam(*model);
  return model;
}

// Epoch times from callbacks, so that they cover exactly what Keras's per-epoch time covers (the steps and the
// shuffle), not loading or evaluation.
struct EpochTimer {
  std::vector<double> seconds;
  Clock::time_point start;
  callbacks::CallbackPtr callback() {
    auto cb = std::make_shared<callbacks::LambdaCallback>();
    cb->epoch_begin = [this](int, callbacks::Logs&) { start = Clock::now(); };
    cb->epoch_end = [this](int, callbacks::Logs&) { seconds.push_back(seconds_since(start)); };
    return cb;
  }
};

// stats: the fit's FitStats (Model::last_fit_stats), whose split of each step into waiting for the batch and the
// step itself is printed as microseconds per step.
inline void print_result(const std::string& workload, const Args& args, const EpochTimer& timer, const History& h,
                         const EvalResult& r, double load_seconds, const FitStats& stats) {
  const double steps = double(std::max<int64_t>(stats.steps, 1));
  nlohmann::json out = {{"framework", "nabla"},          {"workload", workload},
                        {"threads", get_num_threads()},  {"epochs", args.epochs},
                        {"batch_size", args.batch_size}, {"epoch_seconds", timer.seconds},
                        {"train_loss", h["loss"].back()}, {"test_accuracy", r["accuracy"]},
                        {"load_seconds", load_seconds},
                        {"input_us_per_step", 1e6 * stats.input_seconds / steps},
                        {"step_us_per_step", 1e6 * stats.step_seconds / steps}};
  std::cout << out.dump() << std::endl;
}

}  // namespace nabla::bench
