// W3 in LibTorch: the Fashion-MNIST CNN of bench/torch_fashion_cnn.py (Conv 32, pool, Conv 64, pool, Dropout 0.5,
// Linear 10), batch 128. Prints one JSON object like bench/fashion_cnn_bench.
// Usage: fashion_cnn [--epochs N] [--batch-size B] [--threads N] [--seed S] [--data DIR]
#include "common.h"

int main(int argc, char** argv) {
  using namespace libtorch_bench;
  namespace nn = torch::nn;
  Args args = parse_args(argc, argv, "fashion-mnist", {.epochs = 5, .batch_size = 128});
  setup(args);
  auto make_model = [] {
    return glorot_init(nn::Sequential(
        nn::Conv2d(nn::Conv2dOptions(1, 32, 3)), nn::ReLU(), nn::MaxPool2d(nn::MaxPool2dOptions(2)),
        nn::Conv2d(nn::Conv2dOptions(32, 64, 3)), nn::ReLU(), nn::MaxPool2d(nn::MaxPool2dOptions(2)),
        nn::Flatten(), nn::Dropout(0.5), nn::Linear(1600, 10)));
  };
  train_and_report("fashion_cnn", args, make_model, [](const torch::Tensor& x) { return x.unsqueeze(1); });  // NCHW
}
