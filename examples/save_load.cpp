// Saving and loading a whole model (Keras's model.save / keras.models.load_model): train the reference MLP for
// one epoch, save it as a Keras 3 .keras file, load it back as a new model, check it evaluates to the same
// accuracy, and continue training it one more epoch from the saved optimizer state. The file opens in Keras too:
//   keras.saving.load_model("mnist_mlp.keras").evaluate(x_test, y_test)
#include <cmath>
#include <filesystem>
#include <iostream>

#include <nabla/nabla.h>
using namespace nabla;

int main() {
  auto [train, test] = datasets::mnist::load_data();
  auto train_images = train.images.to(f32) / 255.0;
  auto test_images = test.images.to(f32) / 255.0;

  Sequential model({
      layers::Flatten({28, 28}),
      layers::Dense(128, "relu"),
      layers::Dropout(0.2),
      layers::Dense(10, "softmax"),
  });
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  model.fit(train_images, train.labels, {.epochs = 1, .verbose = 2});
  const double before = model.evaluate(test_images, test.labels, {.verbose = 0})["accuracy"];

  const std::string path = (std::filesystem::temp_directory_path() / "nabla_mnist_mlp.keras").string();
  model.save(path);
  std::cout << "saved " << path << " (" << std::filesystem::file_size(path) << " bytes)\n";

  std::shared_ptr<Model> loaded = load_model(path);  // compiled: loss, metrics, Adam and its moments
  const double after = loaded->evaluate(test_images, test.labels, {.verbose = 0})["accuracy"];
  std::cout << "accuracy before saving: " << before << ", after loading: " << after << "\n";
  if (std::round(before * 1e4) != std::round(after * 1e4)) {
    std::cerr << "the loaded model does not evaluate as the saved one\n";
    return 1;
  }
  std::cout << "optimizer iterations restored: " << loaded->optimizer().iterations() << "\n";

  loaded->fit(train_images, train.labels, {.epochs = 1, .verbose = 2});
  auto result = loaded->evaluate(test_images, test.labels, {.verbose = 2});
  std::cout << "Test accuracy: " << result["accuracy"] << std::endl;
}
