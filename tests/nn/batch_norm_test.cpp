#include "test_util.h"

namespace nabla {
namespace {

using V = std::vector<Tensor>;

TEST(BatchNorm, GradcheckTrainingAndInference) {
  for (bool training : {true, false}) {
    Generator gen(11);
    Tensor mm = Tensor::uniform({3}, -0.5, 0.5, f64, &gen), mv = Tensor::uniform({3}, 0.5, 1.5, f64, &gen);
    testing::expect_gradcheck(
        [&](const V& v) { return batch_norm(v[0], v[1], v[2], mm, mv, {.training = training}); },
        {{4, 2, 5, 3}, {3}, {3}});
    // Without gamma and beta (scale=False, center=False).
    testing::expect_gradcheck([&](const V& v) { return batch_norm(v[0], Tensor(), Tensor(), mm, mv, {training}); },
                              {{6, 3}});
  }
}

TEST(BatchNorm, TrainingUsesBatchStatisticsAndMovesTheAverages) {
  // Channel 0 holds 1, 2, 3, 4 (mean 2.5, biased variance 1.25); channel 1 is constant 5.
  Tensor x = Tensor::from_vector<double>({1, 5, 2, 5, 3, 5, 4, 5}, {2, 2, 2});
  Tensor mm = Tensor::zeros({2}, f64), mv = Tensor::ones({2}, f64);
  Tensor y = batch_norm(x, Tensor(), Tensor(), mm, mv, {.training = true});
  double s = 1 / std::sqrt(1.25 + 1e-3);
  testing::expect_close(y, Tensor::from_vector<double>({-1.5 * s, 0, -0.5 * s, 0, 0.5 * s, 0, 1.5 * s, 0}, {2, 2, 2}),
                        1e-12, 1e-12);
  testing::expect_close(mm, Tensor::from_vector<double>({0.01 * 2.5, 0.01 * 5}), 1e-12, 1e-12);
  testing::expect_close(mv, Tensor::from_vector<double>({0.99 + 0.01 * 1.25, 0.99}), 1e-12, 1e-12);
  // Inference uses the moving statistics and leaves them alone.
  Tensor yi = batch_norm(x, Tensor(), Tensor(), mm, mv, {.training = false});
  EXPECT_NEAR(yi.to_vector<double>()[0], (1 - 0.025) / std::sqrt(mv.to_vector<double>()[0] + 1e-3), 1e-12);
  testing::expect_close(mm, Tensor::from_vector<double>({0.025, 0.05}), 1e-12, 1e-12);
}

TEST(BatchNormLayer, TrainVersusInference) {
  auto bn = layers::BatchNormalization();
  Generator gen(2);
  Tensor x = Tensor::normal({64, 3}, 4.0, 2.0, f32, &gen);
  Tensor y_inf = (*bn)(x, false);
  // Fresh moving statistics (0, 1): inference is (almost) the identity.
  testing::expect_close(y_inf, x / std::sqrt(1 + 1e-3), 1e-5, 1e-5);
  EXPECT_EQ(bn->trainable_weights().size(), 2u);
  EXPECT_EQ(bn->non_trainable_weights().size(), 2u);
  Tensor y = (*bn)(x, true);
  auto m = mean(y, {0}).to_vector<float>();
  auto v = mean(square(y), {0}).to_vector<float>();
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(m[c], 0, 1e-5);
    EXPECT_NEAR(v[c], 1, 1e-2);
  }
  // The moving mean moved 1% of the way towards the batch mean (about 4).
  for (float mmv : bn->moving_mean().to_vector<float>()) EXPECT_NEAR(mmv, 0.04, 0.01);
  testing::expect_error_contains<ShapeError>([&] { (*bn)(Tensor::ones({4, 5})); },
                                             {bn->name(), "BatchNormalization", "(4, 5)", "3"});
}

TEST(BatchNormLayer, InSequentialTrainsAndConvergesMovingStats) {
  manual_seed(3);
  Sequential model({layers::Dense(4, "", {.input_shape = {2}}), layers::BatchNormalization(), layers::Dense(1)});
  model.compile("sgd", "mse");
  Generator gen(4);
  Tensor x = Tensor::normal({32, 2}, 0, 1, f32, &gen);
  Tensor y = x.slice(1, 0, 1) * 3.0 + 1.0;
  double first = model.train_on_batch(x, y).at("loss");
  for (int i = 0; i < 50; ++i) model.train_on_batch(x, y);
  EXPECT_LT(model.train_on_batch(x, y).at("loss"), 0.5 * first);
  EXPECT_EQ(model.weights().size(), 2u + 4u + 2u);
  EXPECT_EQ(model.trainable_weights().size(), 2u + 2u + 2u);
}

}  // namespace
}  // namespace nabla
