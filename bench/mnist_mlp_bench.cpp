// The reference MNIST MLP, timed: Flatten -> Dense(128, relu) -> Dropout(0.2) -> Dense(10, softmax), Adam
// (lr 1e-3, eps 1e-7), batch 32 (W1) or any other (--batch-size 256 is W2), shuffled every epoch, Glorot-uniform
// kernels and zero biases (Dense's defaults). Prints one JSON object: seconds per epoch and test accuracy.
// Threads: NABLA_NUM_THREADS.
// Usage: mnist_mlp_bench [--epochs N] [--batch-size B] [--seed S]   (side_by_side.py runs it next to its peers)
#include "bench_util.h"
using namespace nabla;

int main(int argc, char** argv) {
  bench::Args args = bench::parse_args(argc, argv, "mnist_mlp_bench", {.epochs = 5, .batch_size = 32});
  manual_seed(args.seed);
  auto t0 = bench::Clock::now();
  auto [train, test] = datasets::mnist::load_data();
  Tensor x_train = train.images.to(f32) / 255.0;
  Tensor x_test = test.images.to(f32) / 255.0;
  double load_seconds = bench::seconds_since(t0);

  auto model = bench::make_mnist_mlp();
  bench::EpochTimer timer;
  History h = model->fit(x_train, train.labels, {.epochs = args.epochs, .batch_size = args.batch_size, .verbose = 0,
                                                  .callbacks = {timer.callback()}, .shuffle = true});
  EvalResult r = model->evaluate(x_test, test.labels, {.verbose = 0});
  bench::print_result("mnist_mlp", args, timer, h, r, load_seconds, model->last_fit_stats());
}
