// W1/W2 in LibTorch: the reference MNIST MLP, trained as bench/torch_mnist.py trains it (batch 32 by default;
// --batch-size 256 is W2). Prints one JSON object like bench/mnist_mlp_bench.
// Usage: mnist_mlp [--epochs N] [--batch-size B] [--threads N] [--seed S] [--data DIR]
#include "common.h"

int main(int argc, char** argv) {
  using namespace libtorch_bench;
  Args args = parse_args(argc, argv, "mnist", {.epochs = 5, .batch_size = 32});
  setup(args);
  train_and_report("mnist_mlp", args, make_mlp);
}
