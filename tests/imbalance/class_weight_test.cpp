#include "test_util.h"

namespace nabla {
namespace {

TEST(ClassWeight, BalancedIsSklearnFormula) {
  // sklearn: n_samples / (n_classes * bincount) = 8 / (2 * 6), 8 / (2 * 2).
  Tensor y = Tensor::from_vector<int64_t>({0, 0, 1, 0, 0, 1, 0, 0});
  auto w = compute_class_weight("balanced", y);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_DOUBLE_EQ(w[0], 8.0 / 12.0);
  EXPECT_DOUBLE_EQ(w[1], 2.0);
  Tensor sw = compute_sample_weight("balanced", y);
  testing::expect_close(sw, Tensor::from_vector<float>({2.f / 3, 2.f / 3, 2, 2.f / 3, 2.f / 3, 2, 2.f / 3, 2.f / 3}));
  // One-hot labels give the same weights.
  Tensor oh = Tensor::from_vector<float>({1, 0, 0, 1, 1, 0, 1, 0}, Shape{4, 2});
  auto w2 = compute_class_weight("balanced", oh);
  EXPECT_DOUBLE_EQ(w2[0], 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(w2[1], 2.0);
  testing::expect_error_contains([&] { compute_class_weight("inverse", y); }, {"unknown mode"});
}

TEST(ClassWeight, EffectiveNumber) {
  // Cui et al.: w_c ∝ (1 - beta) / (1 - beta^n_c), summing to the number of classes. Hand values for
  // counts {100, 10}, beta 0.9: 0.1 / (1 - 0.9^100) = 0.1000026562, 0.1 / (1 - 0.9^10) = 0.1535339933.
  auto w = effective_number_class_weight(std::map<int64_t, int64_t>{{0, 100}, {1, 10}}, 0.9);
  double a = 0.1000026562, b = 0.1535339933, s = 2 / (a + b);
  EXPECT_NEAR(w[0], a * s, 1e-8);
  EXPECT_NEAR(w[1], b * s, 1e-8);
  auto flat = effective_number_class_weight(std::map<int64_t, int64_t>{{0, 100}, {1, 10}}, 0.0);
  EXPECT_DOUBLE_EQ(flat[0], 1.0);
  EXPECT_DOUBLE_EQ(flat[1], 1.0);
  // beta -> 1 approaches inverse frequency (the ratio of weights -> 10).
  auto inv = effective_number_class_weight(std::map<int64_t, int64_t>{{0, 100}, {1, 10}}, 0.999999);
  EXPECT_NEAR(inv[1] / inv[0], 10.0, 1e-3);
}

// The gradients of the model's weights for loss(y, model(x), sw).
std::vector<Tensor> grads(Model& m, const Tensor& x, const Tensor& y, const Tensor& sw) {
  for (Tensor w : m.trainable_weights()) w.zero_grad();
  Tensor loss = m.loss()(y, m(x, true), sw);
  loss.backward();
  std::vector<Tensor> g;
  for (const Tensor& w : m.trainable_weights()) g.push_back(w.grad().clone());
  return g;
}

// Weighting class c by an integer k is duplicating its samples k times. Keras's reduction divides the weighted
// sum by the batch size N, not by the sum of weights: loss_w = sum_i w_i l_i / N, while the duplicated batch
// (N' = N + (k - 1) n_c rows) has loss_d = sum_i w_i l_i / N'. So grad(loss_w) = grad(loss_d) * N' / N exactly.
void expect_weight_is_duplication(const std::string& loss, int64_t out_units, const std::string& activation,
                                  const Tensor& y) {
  SCOPED_TRACE(loss);
  manual_seed(3);
  Sequential model({layers::Dense(5, "tanh", {.input_shape = {4}}), layers::Dense(out_units, activation)});
  model.compile("sgd", loss);
  const int64_t n = y.size(0), c = 1, k = 3;
  Tensor x = Tensor::normal({n, 4}, 0, 1, f32, nullptr);
  Tensor sw = model.batch_sample_weight(y, {{c, double(k)}}, Tensor());
  std::vector<int64_t> rows;
  auto labels = class_ids_of(y);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t r = 0; r < (labels[size_t(i)] == c ? k : 1); ++r) rows.push_back(i);
  ASSERT_GT(int64_t(rows.size()), n);  // the batch has samples of class c
  auto gw = grads(model, x, y, sw);
  auto gd = grads(model, take_rows(x, rows), take_rows(y, rows), Tensor());
  const double scale = double(rows.size()) / double(n);
  for (size_t i = 0; i < gw.size(); ++i) testing::expect_close(gw[i], gd[i] * scale, 1e-6, 1e-4);
}

TEST(ClassWeight, WeightedLossEqualsDuplication) {
  Tensor sparse = Tensor::from_vector<int64_t>({0, 1, 2, 1, 0, 2, 2});
  expect_weight_is_duplication("sparse_categorical_crossentropy", 3, "softmax", sparse);
  expect_weight_is_duplication("sparse_categorical_focal_crossentropy", 3, "softmax", sparse);
  Tensor onehot = Tensor::from_vector<float>({1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0}, Shape{5, 3});
  expect_weight_is_duplication("categorical_crossentropy", 3, "softmax", onehot);
  expect_weight_is_duplication("categorical_focal_crossentropy", 3, "softmax", onehot);
  Tensor binary = Tensor::from_vector<float>({0, 1, 0, 0, 1, 0}, Shape{6, 1});
  expect_weight_is_duplication("binary_crossentropy", 1, "sigmoid", binary);
  expect_weight_is_duplication("binary_focal_crossentropy", 1, "sigmoid", binary);
  expect_weight_is_duplication("mse", 1, "", binary);
  expect_weight_is_duplication("huber", 1, "", binary);
}

TEST(ClassWeight, ClassOutsideOutputsIsAnError) {
  Sequential model({layers::Dense(3, "softmax", {.input_shape = {2}})});
  model.compile("adam", "sparse_categorical_crossentropy");
  Tensor x = Tensor::zeros({4, 2});
  Tensor y = Tensor::from_vector<int64_t>({0, 1, 2, 2});
  testing::expect_error_contains([&] { model.fit(x, y, {.verbose = 0, .class_weight = {{5, 2.0}}}); },
                                             {"class_weight has class 5", "3 outputs"});
  // Absent classes weigh 1.
  Tensor w = model.batch_sample_weight(y, {{2, 4.0}}, Tensor());
  testing::expect_close(w, Tensor::from_vector<float>({1, 1, 4, 4}));
  // One sigmoid unit has classes 0 and 1.
  Sequential bin({layers::Dense(1, "sigmoid", {.input_shape = {2}})});
  bin.compile("adam", "binary_crossentropy");
  Tensor wb = bin.batch_sample_weight(Tensor::from_vector<float>({0, 1, 1}), {{0, 0.5}, {1, 10}},
                                      Tensor::from_vector<float>({2, 1, 3}));
  testing::expect_close(wb, Tensor::from_vector<float>({1, 10, 30}));
}

TEST(ClassWeight, PerElementWeightsForDenseTargets) {
  // Per-pixel labels y [N, H, W] for predictions [N, H, W, C]: class_weight gives a weight per pixel, and the loss
  // averages each sample's weighted pixels: sum_i mean_j(w_ij l_ij) / N (Keras's reduction over all elements).
  Sequential model({layers::Dense(3, "softmax")});
  model.compile("adam", "sparse_categorical_crossentropy");
  Tensor y = Tensor::from_vector<int64_t>({0, 1, 2, 1, 1, 0, 0, 2}, Shape{2, 2, 2});
  Tensor w = model.batch_sample_weight(y, {{1, 5.0}}, Tensor::from_vector<float>({1, 2}));
  ASSERT_EQ(w.shape(), Shape({2, 2, 2}));
  testing::expect_close(w, Tensor::from_vector<float>({1, 5, 1, 5, 10, 2, 2, 2}, Shape{2, 2, 2}));

  Tensor logits = Tensor::normal({2, 2, 2, 3}, 0, 1, f64, nullptr);
  logits.requires_grad_();
  Tensor p = softmax(logits);
  losses::SparseCategoricalCrossentropy loss;
  Tensor l = loss(y, p, w);
  Tensor e = loss.per_element(y, p).detach();  // [2, 2, 2]
  ASSERT_EQ(e.shape(), Shape({2, 2, 2}));
  auto ev = e.to_vector<double>();
  auto wv = w.to_vector<float>();
  double expect = 0;
  for (int i = 0; i < 8; ++i) expect += ev[size_t(i)] * wv[size_t(i)] / 4.0;
  EXPECT_NEAR(l.item(), expect / 2.0, 1e-6);
  // Unweighted, it is the plain mean over all pixels.
  EXPECT_NEAR(loss(y, p).item(), mean(e).item(), 1e-12);
  // A per-element weight of the wrong size is named.
  testing::expect_error_contains<ShapeError>([&] { loss(y, p, Tensor::ones({3})); }, {"sample_weight", "(3,)"});
}

TEST(ClassWeight, WeightedMetricsAreSeparateEntries) {
  Sequential model({layers::Dense(2, "softmax", {.input_shape = {1}})});
  model.compile("sgd", "sparse_categorical_crossentropy", {"accuracy"}, {"accuracy"});
  // Samples 0, 1 share an input, and so do 2, 3: each pair gets one prediction with one label of the pair right,
  // so accuracy is 1/2 whatever the weights; the weighted accuracy is the right samples' weight over 11, which
  // cannot be 1/2 with these weights.
  Tensor x = Tensor::from_vector<float>({-1, -1, 1, 1}, Shape{4, 1});
  Tensor y = Tensor::from_vector<int64_t>({0, 1, 0, 1});
  std::vector<float> w = {1, 3, 2, 5};
  auto pred = metrics::predicted_classes(model.predict(x));
  double wright = 0;
  for (size_t i = 0; i < 4; ++i) wright += (pred[i] == y.to_vector<int64_t>()[i] ? w[i] : 0.0) / 11.0;
  EvalResult r = model.evaluate(x, y, {.verbose = 0, .sample_weight = Tensor::from_vector(w)});
  EXPECT_DOUBLE_EQ(r["accuracy"], 0.5);
  EXPECT_NEAR(r["weighted_accuracy"], wright, 1e-12);
  EXPECT_NE(r["weighted_accuracy"], 0.5);
  // The loss is weighted (Keras): sum(w l) / N.
  losses::SparseCategoricalCrossentropy scce;
  EXPECT_NEAR(r.loss(), scce(y, model.predict(x), Tensor::from_vector(w)).item(), 1e-6);
}

}  // namespace
}  // namespace nabla
