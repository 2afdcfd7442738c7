#include "test_util.h"

namespace nabla {
namespace {

// A linearly separable 3-class problem that a small MLP must learn.
std::pair<Tensor, Tensor> blobs(int64_t n, uint64_t seed) {
  Generator g(seed);
  Tensor x = Tensor::empty({n, 4});
  Tensor y = Tensor::empty({n}, u8);
  float* xp = x.data<float>();
  uint8_t* yp = y.data<uint8_t>();
  for (int64_t i = 0; i < n; ++i) {
    int c = int(g.randint(3));
    yp[i] = uint8_t(c);
    for (int j = 0; j < 4; ++j) xp[i * 4 + j] = float(g.normal() * 0.5 + (j == c ? 2.0 : 0.0));
  }
  return {x, y};
}

TEST(Sequential, LearnsBlobsAndSummarises) {
  manual_seed(1);
  auto [x, y] = blobs(600, 3);
  Sequential model({layers::Dense(16, "relu", {.input_shape = {4}}), layers::Dropout(0.1), layers::Dense(3, "softmax")});
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  std::ostringstream sum;
  model.summary(sum);
  EXPECT_NE(sum.str().find("(None, 16)"), std::string::npos) << sum.str();
  EXPECT_NE(sum.str().find("Total params: 131"), std::string::npos) << sum.str();
  std::ostringstream log;
  History h = model.fit(x, y, {.epochs = 15, .verbose = 0, .validation_split = 0.2, .out = &log});
  EXPECT_EQ(h["loss"].size(), 15u);
  EXPECT_LT(h["loss"].back(), h["loss"].front());
  EXPECT_GT(h["val_accuracy"].back(), 0.9);
  EvalResult r = model.evaluate(x, y, {.verbose = 0});
  EXPECT_GT(r["accuracy"], 0.9);
  Tensor p = model.predict(x);
  EXPECT_EQ(p.shape(), Shape({600, 3}));
  // predict_on_batch: the same rows, no graph recorded, dropout off.
  Tensor one = model.predict_on_batch(x.slice(0, 5, 6));
  EXPECT_EQ(one.shape(), Shape({1, 3}));
  EXPECT_FALSE(one.requires_grad());
  for (int j = 0; j < 3; ++j) EXPECT_FLOAT_EQ(one.data<float>()[j], p.data<float>()[5 * 3 + j]);
}

TEST(Sequential, ShapeMismatchNamesLayerAndShapes) {
  Sequential model({layers::Flatten({28, 28}), layers::Dense(10, "softmax")});
  model.compile("adam", "sparse_categorical_crossentropy");
  testing::expect_error_contains<ShapeError>([&] { model.predict(Tensor::zeros({2, 32, 32})); },
                                             {"flatten", "(None, 28, 28)", "(2, 32, 32)"});
}

TEST(Sequential, LabelOutOfRangeNamesIndexAndValue) {
  Sequential model({layers::Dense(3, "softmax", {.input_shape = {2}})});
  model.compile("adam", "sparse_categorical_crossentropy");
  Tensor x = Tensor::zeros({4, 2});
  Tensor y = Tensor::from_vector<int64_t>({0, 1, 7, 2});
  testing::expect_error_contains<ValueError>([&] { model.fit(x, y, {.verbose = 0}); }, {"index 2", "is 7"});
}

TEST(Sequential, NaNInputIsReportedByFit) {
  Sequential model({layers::Dense(2, "softmax", {.input_shape = {2}})});
  model.compile("adam", "sparse_categorical_crossentropy");
  Tensor x = Tensor::zeros({4, 2});
  x.data<float>()[5] = std::nanf("");
  testing::expect_error_contains<ValueError>([&] { model.fit(x, Tensor::zeros({4}, i64), {.verbose = 0}); },
                                             {"NaN", "sample 2"});
}

}  // namespace
}  // namespace nabla
