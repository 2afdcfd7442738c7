// MNIST read row by row: each image is a sequence of 28 steps of 28 pixels, read by an LSTM(128) whose last
// output a Dense(10, softmax) classifies, as in Keras:
//
//   model = keras.Sequential([keras.Input((28, 28)), layers.LSTM(128), layers.Dense(10, activation="softmax")])
//   model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
//   model.fit(x_train, y_train, epochs=3); model.evaluate(x_test, y_test)
//
// Reaches >= 0.97 test accuracy in 3 epochs. For a quick run (ctest): NABLA_EPOCHS=N and NABLA_TRAIN_SAMPLES=M
// train N epochs on the first M training images.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>

#include <nabla/nabla.h>
#include <nabla/nn/lstm.h>
using namespace nabla;

int main() {
  int epochs = 3;
  if (const char* e = std::getenv("NABLA_EPOCHS")) epochs = std::max(1, std::atoi(e));
  auto [train, test] = datasets::mnist::load_data();
  Tensor x_train = train.images.to(f32) / 255.0, y_train = train.labels;  // [60000, 28, 28]: 28 steps of 28
  if (const char* s = std::getenv("NABLA_TRAIN_SAMPLES")) {
    const int64_t n = std::clamp<int64_t>(std::atoll(s), 1, x_train.size(0));
    x_train = x_train.slice(0, 0, n).contiguous();
    y_train = y_train.slice(0, 0, n).contiguous();
  }
  Tensor x_test = test.images.to(f32) / 255.0;

  manual_seed(1);
  Sequential model({
      layers::LSTM(128, {.input_shape = {28, 28}}),
      layers::Dense(10, "softmax"),
  });
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  model.summary();

  auto start = std::chrono::steady_clock::now();
  model.fit(x_train, y_train, {.epochs = epochs, .verbose = 2});
  std::cout << "fit_seconds: " << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
            << "\n";

  auto result = model.evaluate(x_test, test.labels, {.verbose = 2});
  std::cout << "Test accuracy: " << result["accuracy"] << std::endl;
}
