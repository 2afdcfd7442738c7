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

// One fit step on the whole batch with SGD(lr 1) and no shuffling: the weight change is minus the gradient of
// the loss fit computes (with its class and sample weights), through the public path.
std::vector<Tensor> step_change(Model& m, const std::string& loss, const std::vector<Tensor>& init, const Tensor& x,
                                const Tensor& y, const std::map<int64_t, double>& class_weight) {
  m.set_weights(init);
  m.compile(std::make_shared<optim::SGD>(1.0), loss);
  m.fit(x, y, {.batch_size = x.size(0), .verbose = 0, .shuffle = false, .class_weight = class_weight});
  std::vector<Tensor> d;
  std::vector<Tensor> now = m.get_weights();
  for (size_t i = 0; i < now.size(); ++i) d.push_back(now[i] - init[i]);
  return d;
}

// Weighting class c by an integer k is duplicating its samples k times. Keras's reduction divides the weighted
// sum by the batch size N, not by the sum of weights: loss_w = sum_i w_i l_i / N, while the duplicated batch
// (N' = N + (k - 1) n_c rows) has loss_d = sum_i w_i l_i / N'. So grad(loss_w) = grad(loss_d) * N' / N exactly,
// and so are fit's SGD steps.
void expect_weight_is_duplication(const std::string& loss, int64_t out_units, const std::string& activation,
                                  const Tensor& y) {
  SCOPED_TRACE(loss);
  manual_seed(3);
  Sequential model({layers::Dense(5, "tanh", {.input_shape = {4}}), layers::Dense(out_units, activation)});
  model.compile("sgd", loss);
  const std::vector<Tensor> init = model.get_weights();
  const int64_t n = y.size(0), c = 1, k = 3;
  Tensor x = Tensor::normal({n, 4}, 0, 1, f32, nullptr);
  std::vector<int64_t> rows;
  auto labels = class_ids_of(y);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t r = 0; r < (labels[size_t(i)] == c ? k : 1); ++r) rows.push_back(i);
  ASSERT_GT(int64_t(rows.size()), n);  // the batch has samples of class c
  auto dw = step_change(model, loss, init, x, y, {{c, double(k)}});
  auto dd = step_change(model, loss, init, take_rows(x, rows), take_rows(y, rows), {});
  const double scale = double(rows.size()) / double(n);
  for (size_t i = 0; i < dw.size(); ++i) testing::expect_close(dw[i], dd[i] * scale, 1e-6, 1e-4);
}

// The loss fit reports for one step of SGD(lr 0) on the whole batch with class_weight (and sample_weight):
// the weighted loss at the unchanged weights, which evaluate computes from explicit per-label weights.
double fit_loss(Model& m, const std::string& loss, const Tensor& x, const Tensor& y,
                const std::map<int64_t, double>& class_weight, const Tensor& sample_weight = Tensor()) {
  m.compile(std::make_shared<optim::SGD>(0.0), loss);
  History h = m.fit(x, y, {.batch_size = x.size(0), .verbose = 0, .shuffle = false, .class_weight = class_weight,
                           .sample_weight = sample_weight});
  return h.history.at("loss").at(0);
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
  // Absent classes weigh 1: fit's loss is evaluate's with per-sample weights {1, 1, 4, 4} (and not with the
  // weights the other way round, so the check can tell).
  Tensor xr = Tensor::normal({4, 2}, 0, 1, f32, nullptr);
  const double got = fit_loss(model, "sparse_categorical_crossentropy", xr, y, {{2, 4.0}});
  auto eval_loss = [&](Model& m, const Tensor& x, const Tensor& yy, std::vector<float> w) {
    return m.evaluate(x, yy, {.verbose = 0, .sample_weight = Tensor::from_vector(w)}).loss();
  };
  EXPECT_NEAR(got, eval_loss(model, xr, y, {1, 1, 4, 4}), 1e-6);
  EXPECT_GT(std::abs(got - eval_loss(model, xr, y, {4, 4, 1, 1})), 1e-4);
  // One sigmoid unit has classes 0 and 1; class weights multiply the sample weights.
  Sequential bin({layers::Dense(1, "sigmoid", {.input_shape = {2}})});
  bin.compile("adam", "binary_crossentropy");
  Tensor xb = Tensor::normal({3, 2}, 0, 1, f32, nullptr), yb = Tensor::from_vector<float>({0, 1, 1});
  const double weighted = fit_loss(bin, "binary_crossentropy", xb, yb, {{0, 0.5}, {1, 10}},
                                   Tensor::from_vector<float>({2, 1, 3}));
  EXPECT_NEAR(weighted, eval_loss(bin, xb, yb, {1, 10, 30}), 1e-5);
  testing::expect_error_contains([&] { fit_loss(bin, "binary_crossentropy", xb, yb, {{2, 1.0}}); },
                                 {"class_weight has class 2", "valid classes: 0..1"});
}

TEST(ClassWeight, PerElementWeightsForDenseTargets) {
  // Per-pixel labels y [N, H, W] for predictions [N, H, W, C]: class_weight gives a weight per pixel, and the loss
  // averages each sample's weighted pixels: sum_i mean_j(w_ij l_ij) / N (Keras's reduction over all elements).
  Sequential model({layers::Dense(3, "softmax")});
  model.compile("adam", "sparse_categorical_crossentropy");
  Tensor y = Tensor::from_vector<int64_t>({0, 1, 2, 1, 1, 0, 0, 2}, Shape{2, 2, 2});
  // The weight of each pixel: its class's (1 weighs 5) times its sample's (1, 2). fit's loss with class_weight
  // and sample_weight is evaluate's with these per-pixel weights.
  Tensor w = Tensor::from_vector<float>({1, 5, 1, 5, 10, 2, 2, 2}, Shape{2, 2, 2});
  Tensor xp = Tensor::normal({2, 2, 2, 4}, 0, 1, f32, nullptr);
  const double fitted =
      fit_loss(model, "sparse_categorical_crossentropy", xp, y, {{1, 5.0}}, Tensor::from_vector<float>({1, 2}));
  EXPECT_NEAR(fitted, model.evaluate(xp, y, {.verbose = 0, .sample_weight = w}).loss(), 1e-6);
  EXPECT_GT(std::abs(fitted - model.evaluate(xp, y, {.verbose = 0}).loss()), 1e-4);

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
