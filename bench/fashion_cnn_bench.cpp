// The Fashion-MNIST CNN, timed: Conv2D(32,3,relu) -> MaxPool(2) -> Conv2D(64,3,relu) -> MaxPool(2) -> Flatten
// -> Dropout(0.5) -> Dense(10, softmax), Adam (lr 1e-3, eps 1e-7), batch 128, Keras's default initializers.
// Prints one JSON object like mnist_mlp_bench. Usage: fashion_cnn_bench [--epochs N] [--batch-size B] [--seed S]
#include "bench_util.h"
using namespace nabla;

int main(int argc, char** argv) {
  bench::Args args = bench::parse_args(argc, argv, "fashion_cnn_bench", {.epochs = 5, .batch_size = 128});
  manual_seed(args.seed);
  auto t0 = bench::Clock::now();
  auto [train, test] = datasets::fashion_mnist::load_data();
  Tensor x_train = train.images.reshape({-1, 28, 28, 1}).to(f32) / 255.0;
  Tensor x_test = test.images.reshape({-1, 28, 28, 1}).to(f32) / 255.0;
  double load_seconds = bench::seconds_since(t0);

  Sequential model({
      layers::Conv2D(32, 3, "relu", {.input_shape = {28, 28, 1}}),
      layers::MaxPooling2D(2),
      layers::Conv2D(64, 3, "relu"),
      layers::MaxPooling2D(2),
      layers::Flatten(),
      layers::Dropout(0.5),
      layers::Dense(10, "softmax"),
  });
  bench::compile_with_adam(model);

  bench::EpochTimer timer;
  History h = model.fit(x_train, train.labels, {.epochs = args.epochs, .batch_size = args.batch_size, .verbose = 0,
                                                 .callbacks = {timer.callback()}, .shuffle = true});
  EvalResult r = model.evaluate(x_test, test.labels, {.verbose = 0});
  bench::print_result("fashion_cnn", args, timer, h, r, load_seconds, model.last_fit_stats());
}
