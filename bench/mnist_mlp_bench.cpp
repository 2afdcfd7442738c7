// The reference MNIST MLP, timed: Flatten -> Dense(128, relu) -> Dropout(0.2) -> Dense(10, softmax), Adam
// (lr 1e-3, eps 1e-7), batch 32, shuffled every epoch, Glorot-uniform kernels and zero biases (Dense's
// defaults). Prints one JSON object: seconds per epoch and test accuracy. Threads: NABLA_NUM_THREADS.
// Usage: mnist_mlp_bench [--epochs N] [--seed S]   (mnist_side_by_side.py runs it next to PyTorch)
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>

#include <nabla/nabla.h>
#include <nlohmann/json.hpp>
using namespace nabla;

int main(int argc, char** argv) {
  int epochs = 5;
  uint64_t seed = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--epochs" && i + 1 < argc) {
      epochs = std::atoi(argv[++i]);
    } else if (a == "--seed" && i + 1 < argc) {
      seed = std::strtoull(argv[++i], nullptr, 10);
    } else {
      std::cerr << "usage: mnist_mlp_bench [--epochs N] [--seed S]\n";
      return 2;
    }
  }
  using clock = std::chrono::steady_clock;
  auto seconds_since = [](clock::time_point t) { return std::chrono::duration<double>(clock::now() - t).count(); };

  manual_seed(seed);
  auto t0 = clock::now();
  auto [train, test] = datasets::mnist::load_data();
  Tensor x_train = train.images.to(f32) / 255.0;
  Tensor x_test = test.images.to(f32) / 255.0;
  double load_seconds = seconds_since(t0);

  Sequential model({
      layers::Flatten({28, 28}),
      layers::Dense(128, "relu"),
      layers::Dropout(0.2),
      layers::Dense(10, "softmax"),
  });
  optim::AdamOptions adam;
  adam.learning_rate = 1e-3;
  adam.epsilon = 1e-7;
  model.compile(std::make_shared<optim::Adam>(adam), "sparse_categorical_crossentropy", {"accuracy"});

  // Epoch times from callbacks, so that they cover exactly what Keras's per-epoch time covers (the steps and
  // the shuffle), not loading or evaluation.
  std::vector<double> epoch_seconds;
  clock::time_point epoch_start;
  auto timer = std::make_shared<callbacks::LambdaCallback>();
  timer->epoch_begin = [&](int, callbacks::Logs&) { epoch_start = clock::now(); };
  timer->epoch_end = [&](int, callbacks::Logs&) { epoch_seconds.push_back(seconds_since(epoch_start)); };
  History h = model.fit(x_train, train.labels, {.epochs = epochs, .batch_size = 32, .verbose = 0,
                                                 .callbacks = {timer}, .shuffle = true});
  EvalResult r = model.evaluate(x_test, test.labels, {.verbose = 0});

  nlohmann::json out = {{"framework", "nabla"},
                        {"workload", "mnist_mlp"},
                        {"threads", get_num_threads()},
                        {"epochs", epochs},
                        {"epoch_seconds", epoch_seconds},
                        {"train_loss", h["loss"].back()},
                        {"test_accuracy", r["accuracy"]},
                        {"load_seconds", load_seconds}};
  std::cout << out.dump() << std::endl;
}
