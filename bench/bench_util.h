#pragma once
// What the side-by-side bench programs share: arguments, per-epoch timing, the JSON result line.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nabla/nabla.h>
#include <nlohmann/json.hpp>

namespace nabla::bench {

struct Args {
  int epochs = 5;
  uint64_t seed = 0;
};

// Parses [--epochs N] [--seed S]; exits with a usage line otherwise.
inline Args parse_args(int argc, char** argv, const char* program) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "--epochs" && i + 1 < argc) {
      a.epochs = std::atoi(argv[++i]);
    } else if (s == "--seed" && i + 1 < argc) {
      a.seed = std::strtoull(argv[++i], nullptr, 10);
    } else {
      std::cerr << "usage: " << program << " [--epochs N] [--seed S]\n";
      std::exit(2);
    }
  }
  return a;
}

using Clock = std::chrono::steady_clock;
inline double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

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

inline void print_result(const std::string& workload, int epochs, const EpochTimer& timer, const History& h,
                         const EvalResult& r, double load_seconds) {
  nlohmann::json out = {{"framework", "nabla"},          {"workload", workload},
                        {"threads", get_num_threads()},  {"epochs", epochs},
                        {"epoch_seconds", timer.seconds}, {"train_loss", h["loss"].back()},
                        {"test_accuracy", r["accuracy"]}, {"load_seconds", load_seconds}};
  std::cout << out.dump() << std::endl;
}

}  // namespace nabla::bench
