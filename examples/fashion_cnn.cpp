// A small convolutional network on Fashion-MNIST, as the Keras example would write it:
//
//   model = models.Sequential([
//       layers.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)), layers.MaxPooling2D(2),
//       layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
//       layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax")])
//
// NABLA_EPOCHS shortens the run (default 5).
#include <chrono>
#include <cstdlib>
#include <iostream>

#include <nabla/nabla.h>
using namespace nabla;

int main() {
  int epochs = 5;
  if (const char* e = std::getenv("NABLA_EPOCHS")) epochs = std::max(1, std::atoi(e));

  // Step 1: prepare data (images gain a channel axis: [N, 28, 28] -> [N, 28, 28, 1])
  auto [train, test] = datasets::fashion_mnist::load_data();
  auto train_images = train.images.reshape({-1, 28, 28, 1}).to(f32) / 255.0;
  auto test_images = test.images.reshape({-1, 28, 28, 1}).to(f32) / 255.0;

  // Step 2: build the model
  Sequential model({
      layers::Conv2D(32, 3, "relu", {.input_shape = {28, 28, 1}}),
      layers::MaxPooling2D(2),
      layers::Conv2D(64, 3, "relu"),
      layers::MaxPooling2D(2),
      layers::Flatten(),
      layers::Dropout(0.5),
      layers::Dense(10, "softmax"),
  });

  // Step 3: compile the model
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  model.summary();

  // Step 4: train the model
  auto start = std::chrono::steady_clock::now();
  model.fit(train_images, train.labels, {.epochs = epochs, .batch_size = 128});
  std::cout << "fit_seconds: " << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
            << "\n";

  // Step 5: evaluate the model
  auto result = model.evaluate(test_images, test.labels, {.verbose = 2});
  std::cout << "Test accuracy: " << result["accuracy"] << std::endl;
}
