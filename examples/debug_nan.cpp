// NaN hunting on MNIST: two classic failures, and what nabla reports for each.
//   1. a hand-written crossentropy that takes log(0) (a relu output layer gives exact zeros);
//   2. Adam with learning rate 10 (the loss explodes and kills the ReLUs: Diagnostics; TerminateOnNaN and check
//      mode take over if it reaches NaN).
// Check mode names the op, the layer path, forward or backward, and the statistics of the op's inputs; during fit
// it writes a NaN dump of the failing step, which replay_step() reruns in a fresh model in milliseconds.
// The last run fixes both mistakes and reports its test accuracy (the CI example test reads that line).
#include <iostream>

#include <nabla/nabla.h>
using namespace nabla;

namespace {

// -sum(y * log(p)) per sample: fine for softmax outputs in exact arithmetic, NaN as soon as a p is exactly 0.
struct NaiveCrossentropy : losses::Loss {
  NaiveCrossentropy() : Loss("naive_crossentropy") {}
  Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const override {
    return -sum(y_true * log(y_pred), {1});
  }
};

Tensor one_hot(const Tensor& labels, int64_t classes) {
  Tensor l = labels.to(i64).contiguous();
  Tensor r = Tensor::zeros({l.numel(), classes});
  for (int64_t i = 0; i < l.numel(); ++i) r.data<float>()[i * classes + l.data<int64_t>()[i]] = 1.0f;
  return r;
}

std::unique_ptr<Sequential> mlp(const std::string& out_activation) {
  return std::make_unique<Sequential>(std::vector<nn::LayerPtr>{layers::Flatten({28, 28}), layers::Dense(128, "relu"),
                                                                layers::Dense(10, out_activation)},
                                      "mlp");
}

}  // namespace

int main() {
  auto [train, test] = datasets::mnist::load_data();
  const int64_t n = 4000;
  Tensor x = slice(train.images, 0, 0, n).to(f32) / 255.0;
  Tensor y = slice(train.labels, 0, 0, n);
  Tensor x_test = test.images.to(f32) / 255.0;
  debug::NumericsOptions check;
  check.dump_dir = "nabla_nan_dumps";

  std::cout << "=== 1. log(0) in a custom loss (relu output layer), under check mode ===\n";
  {
    manual_seed(1);
    auto model = mlp("relu");
    model->compile("adam", std::make_shared<NaiveCrossentropy>());
    debug::CheckNumericsGuard guard(check);
    try {
      model->fit(x, one_hot(y, 10), {.epochs = 1, .verbose = 0});
      std::cout << "no NaN\n";
    } catch (const debug::NumericsError& e) {
      std::cout << e.what();
      if (!e.dump_path.empty()) {
        auto fresh = mlp("relu");
        fresh->compile("adam", std::make_shared<NaiveCrossentropy>());
        auto r = debug::replay_step(e.dump_path, *fresh);
        std::cout << "replay_step: reproduced=" << (r.reproduced ? "yes" : "no") << ", op '" << r.op << "', phase "
                  << r.phase << "\n";
      }
    }
  }

  std::cout << "\n=== 2. Adam with learning rate 10: TerminateOnNaN and Diagnostics, then check mode ===\n";
  {
    manual_seed(2);
    auto model = mlp("softmax");
    model->compile(std::make_shared<optim::Adam>(10.0), "sparse_categorical_crossentropy", {"accuracy"});
    auto diag = std::make_shared<debug::Diagnostics>();
    auto stop = std::make_shared<callbacks::TerminateOnNaN>();
    model->fit(x, y, {.epochs = 2, .verbose = 0, .callbacks = {diag, stop}});
    if (stop->terminated_step() >= 0) {
      std::cout << "-- rerunning the same training under check mode to find the op --\n";
      manual_seed(2);
      auto again = mlp("softmax");
      again->compile(std::make_shared<optim::Adam>(10.0), "sparse_categorical_crossentropy", {"accuracy"});
      debug::CheckNumericsGuard guard(check);
      try {
        again->fit(x, y, {.epochs = 2, .verbose = 0});
      } catch (const debug::NumericsError& e) {
        std::cout << e.what();
      }
    }
  }

  std::cout << "\n=== fixed: softmax output with the built-in crossentropy, Adam at 1e-3 ===\n";
  manual_seed(3);
  auto model = mlp("softmax");
  model->compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  model->fit(slice(train.images, 0, 0, 20000).to(f32) / 255.0, slice(train.labels, 0, 0, 20000),
             {.epochs = 1, .verbose = 0});
  auto result = model->evaluate(x_test, test.labels, {.verbose = 0});
  std::cout << "Test accuracy: " << result["accuracy"] << std::endl;
}
