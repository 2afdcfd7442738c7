#include "test_util.h"

namespace nabla {
namespace {

std::pair<Tensor, Tensor> blobs(int64_t n, uint64_t seed) {
  Generator g(seed);
  Tensor x = Tensor::empty({n, 4});
  Tensor y = Tensor::empty({n}, i64);
  for (int64_t i = 0; i < n; ++i) {
    int64_t c = int64_t(g.randint(3));
    y.data<int64_t>()[i] = c;
    for (int j = 0; j < 4; ++j) x.data<float>()[i * 4 + j] = float(g.normal() * 0.5 + (j == c ? 2.0 : 0.0));
  }
  return {x, y};
}

std::unique_ptr<Sequential> small_model() {
  auto m = std::make_unique<Sequential>(
      std::vector<nn::LayerPtr>{layers::Dense(16, "relu", {.input_shape = {4}}), layers::Dense(3, "softmax")});
  m->compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  return m;
}

TEST(FitDataset, TrainsFromAPipelineAndReportsInputStats) {
  manual_seed(5);
  auto [x, y] = blobs(640, 9);
  auto ds = data::Dataset::from_tensor_slices(x, y).shuffle(640, 1).batch(32).prefetch(data::AUTOTUNE);
  auto model = small_model();
  std::ostringstream out;
  History h = model->fit(ds, {.epochs = 8, .verbose = 0, .validation_data = ds, .out = &out});
  EXPECT_EQ(h["loss"].size(), 8u);
  EXPECT_GT(h["val_accuracy"].back(), 0.9);
  EXPECT_EQ(model->last_fit_stats().steps, 8 * 20);
  EXPECT_GT(model->last_fit_stats().step_seconds, 0);
  ASSERT_TRUE(model->last_pipeline_stats().has_value());
  EXPECT_FALSE(model->last_pipeline_stats()->stages.empty());
  // evaluate and predict on a dataset agree with the tensor versions.
  auto plain = data::Dataset::from_tensor_slices(x, y).batch(64);
  EXPECT_NEAR(model->evaluate(plain, {.verbose = 0})["accuracy"], model->evaluate(x, y, {.verbose = 0})["accuracy"], 1e-9);
  testing::expect_close(model->predict(plain), model->predict(x), 1e-6, 1e-6);
}

TEST(FitDataset, StepsPerEpochOnARepeatedDataset) {
  auto [x, y] = blobs(100, 2);
  auto model = small_model();
  History h = model->fit(data::Dataset::from_tensor_slices(x, y).batch(10).repeat(),
                         {.epochs = 3, .verbose = 0, .steps_per_epoch = 4});
  EXPECT_EQ(model->last_fit_stats().steps, 12);
  testing::expect_error_contains<Error>(
      [&, &x = x, &y = y] { model->fit(data::Dataset::from_tensor_slices(x, y).repeat(), {.verbose = 0}); },
      {"steps_per_epoch"});
}

TEST(FitDataset, UnbatchedElementsGiveAClearError) {
  auto [x, y] = blobs(10, 2);
  auto model = small_model();
  testing::expect_error_contains<Error>(
      [&, &x = x, &y = y] { model->fit(data::Dataset::from_tensor_slices(x, y), {.verbose = 0}); }, {"batch"});
}

}  // namespace
}  // namespace nabla
