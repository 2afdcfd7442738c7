// The reference program: the classic Keras MNIST example, line for line.
//
//   (train_images, train_labels), (test_images, test_labels) = tf.keras.datasets.mnist.load_data()
//   train_images = train_images / 255.0
//   model = models.Sequential([...]); model.compile(...); model.fit(...); model.evaluate(...)
#include <chrono>
#include <iostream>

#include <nabla/nabla.h>
using namespace nabla;

int main() {
  // Step 1: prepare data
  auto [train, test] = datasets::mnist::load_data();
  auto train_images = train.images.to(f32) / 255.0;
  auto test_images = test.images.to(f32) / 255.0;

  // Step 2: build the model
  Sequential model({
      layers::Flatten({28, 28}),
      layers::Dense(128, "relu"),
      layers::Dropout(0.2),
      layers::Dense(10, "softmax"),
  });

  // Step 3: compile the model
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  model.summary();

  // Step 4: train the model
  auto start = std::chrono::steady_clock::now();
  model.fit(train_images, train.labels, {.epochs = 5});
  std::cout << "fit_seconds: " << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()
            << "\n";

  // Step 5: evaluate the model
  auto result = model.evaluate(test_images, test.labels, {.verbose = 2});
  std::cout << "Test accuracy: " << result["accuracy"] << std::endl;
}
