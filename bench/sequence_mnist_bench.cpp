// Issue 21's sequence model, timed (W6): MNIST read row by row (28 steps of 28 pixels) by LSTM(128) -> Dense(10,
// softmax), Adam (lr 1e-3, eps 1e-7), batch 32, Keras's default initializers (Glorot-uniform kernel, orthogonal
// recurrent kernel, zero bias with the forget gate's at 1). The same model as examples/sequence_mnist.cpp; the
// peer is torch_sequence_mnist.py (nn.LSTM). Prints one JSON object like mnist_mlp_bench.
// Usage: sequence_mnist_bench [--epochs N] [--batch-size B] [--seed S]
#include <nabla/nn/lstm.h>

#include "bench_util.h"
using namespace nabla;

int main(int argc, char** argv) {
  bench::Args args = bench::parse_args(argc, argv, "sequence_mnist_bench", {.epochs = 3, .batch_size = 32});
  manual_seed(args.seed);
  auto t0 = bench::Clock::now();
  auto [train, test] = datasets::mnist::load_data();
  Tensor x_train = train.images.to(f32) / 255.0, x_test = test.images.to(f32) / 255.0;  // [N, 28 steps, 28]
  double load_seconds = bench::seconds_since(t0);

  Sequential model({layers::LSTM(128, {.input_shape = {28, 28}}), layers::Dense(10, "softmax")});
  bench::compile_with_adam(model);

  bench::EpochTimer timer;
  History h = model.fit(x_train, train.labels, {.epochs = args.epochs, .batch_size = args.batch_size, .verbose = 0,
                                                 .callbacks = {timer.callback()}, .shuffle = true});
  EvalResult r = model.evaluate(x_test, test.labels, {.verbose = 0});
  bench::print_result("sequence_mnist", args, timer, h, r, load_seconds, model.last_fit_stats());
}
