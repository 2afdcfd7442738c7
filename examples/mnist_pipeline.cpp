// The reference model fed by a tf.data-style pipeline:
//   dataset = tf.data.Dataset.from_tensor_slices((train_images, train_labels)).shuffle(10000).batch(32)
//                 .prefetch(tf.data.AUTOTUNE)
//   model.fit(dataset, epochs=5)
// then one more epoch with an expensive map (random shifts of each image) run in parallel and prefetched.
#include <iostream>

#include <nabla/nabla.h>
using namespace nabla;

// Shifts a 28x28 image by (dx, dy) pixels, filling with zeros: a cheap stand-in for random affine augmentation.
Tensor shift_image(const Tensor& img, int dx, int dy) {
  Tensor out = Tensor::zeros({28, 28});
  const float* src = img.contiguous().data<float>();
  float* dst = out.data<float>();
  for (int r = 0; r < 28; ++r)
    for (int c = 0; c < 28; ++c) {
      int sr = r - dy, sc = c - dx;
      if (sr >= 0 && sr < 28 && sc >= 0 && sc < 28) dst[r * 28 + c] = src[sr * 28 + sc];
    }
  return out;
}

int main() {
  auto [train, test] = datasets::mnist::load_data();
  auto train_images = train.images.to(f32) / 255.0;
  auto test_images = test.images.to(f32) / 255.0;

  auto dataset = data::Dataset::from_tensor_slices(train_images, train.labels)
                     .shuffle(10000)
                     .batch(32)
                     .prefetch(data::AUTOTUNE);

  Sequential model({
      layers::Flatten({28, 28}),
      layers::Dense(128, "relu"),
      layers::Dropout(0.2),
      layers::Dense(10, "softmax"),
  });
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  model.fit(dataset, {.epochs = 5});
  std::cout << model.last_fit_stats().str() << "\n";

  // Augmentation: each element gets its own random shift, keyed by its index so that the result does not
  // depend on which thread ran it. The map runs on the shared thread pool with autotuned parallelism.
  constexpr uint64_t kSeed = 7;
  auto augmented = data::Dataset::from_tensor_slices(train_images, train.labels)
                       .enumerate()
                       .map(
                           [](data::Element e) {
                             uint64_t i = uint64_t(e[0].item());
                             int dx = int(counter_uniform(kSeed, 2 * i) * 5) - 2;
                             int dy = int(counter_uniform(kSeed, 2 * i + 1) * 5) - 2;
                             return data::Element{shift_image(e[1], dx, dy), e[2]};
                           },
                           data::AUTOTUNE)
                       .shuffle(10000)
                       .batch(32)
                       .prefetch(data::AUTOTUNE);
  model.fit(augmented, {.epochs = 1});
  std::cout << model.last_fit_stats().str() << "\n" << model.last_pipeline_stats()->str();

  auto result = model.evaluate(test_images, test.labels, {.verbose = 2});
  std::cout << "Test accuracy: " << result["accuracy"] << std::endl;
}
