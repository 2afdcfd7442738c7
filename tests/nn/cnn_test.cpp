#include "test_util.h"

namespace nabla {
namespace {

// 8x8 images with a bright 2x2 blob in the left (class 0) or right (class 1) half, on noise.
std::pair<Tensor, Tensor> blobs(int64_t n, Generator& gen) {
  std::vector<float> x(size_t(n * 64));
  std::vector<int64_t> y(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t p = 0; p < 64; ++p) x[size_t(i * 64 + p)] = float(gen.uniform(0, 0.3));
    int64_t cls = int64_t(gen.randint(2));
    int64_t r = int64_t(gen.randint(7)), c = int64_t(gen.randint(3)) + (cls ? 4 : 0);
    for (int64_t dy = 0; dy < 2; ++dy)
      for (int64_t dx = 0; dx < 2; ++dx) x[size_t(i * 64 + (r + dy) * 8 + c + dx)] = 1.0f;
    y[size_t(i)] = cls;
  }
  return {Tensor::from_vector(x, {n, 8, 8, 1}), Tensor::from_vector(y)};
}

TEST(TinyCNN, LearnsLeftVersusRight) {
  manual_seed(1);
  Generator gen(9);
  auto [x, y] = blobs(64, gen);
  Sequential model({
      layers::Conv2D(8, 3, "relu", {.padding = "same", .input_shape = {8, 8, 1}}),
      layers::MaxPooling2D(2),
      layers::Conv2D(4, 3, "relu"),
      layers::Flatten(),
      layers::Dense(2, "softmax"),
  });
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  auto shapes = model.layer_output_shapes();
  ASSERT_EQ(shapes.size(), 5u);
  EXPECT_EQ(shapes[0].second, Shape({-1, 8, 8, 8}));
  EXPECT_EQ(shapes[1].second, Shape({-1, 4, 4, 8}));
  EXPECT_EQ(shapes[2].second, Shape({-1, 2, 2, 4}));
  EXPECT_EQ(shapes[3].second, Shape({-1, 16}));
  auto before = model.evaluate(x, y, {.verbose = 0});
  for (int i = 0; i < 100; ++i) model.train_on_batch(x, y);
  auto after = model.evaluate(x, y, {.verbose = 0});
  EXPECT_LT(after.loss(), 0.5 * before.loss());
  EXPECT_GE(after["accuracy"], 0.9);
}

}  // namespace
}  // namespace nabla
