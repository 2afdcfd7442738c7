// A tiny program built outside nabla's tree against the installed package: trains a small classifier on a
// separable toy problem and exits 0 if it learned it.
#include <cstdio>

#include <nabla/nabla.h>
using namespace nabla;

int main() {
  manual_seed(1);
  Tensor x = Tensor::normal({256, 4});
  Tensor y = Tensor::empty({256}, i64);
  for (int64_t i = 0; i < 256; ++i) y.data<int64_t>()[i] = x.data<float>()[i * 4] + x.data<float>()[i * 4 + 1] > 0;
  Sequential model({layers::Dense(16, "relu", {.input_shape = {4}}), layers::Dense(2, "softmax")});
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  model.fit(x, y, {.epochs = 20, .batch_size = 32, .verbose = 0});
  double acc = model.evaluate(x, y, {.verbose = 0})["accuracy"];
  std::printf("accuracy %.3f\n", acc);
  return acc > 0.9 ? 0 : 1;
}
