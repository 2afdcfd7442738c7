// Freezing layers (Keras's fine-tuning recipe): what a step trains follows the layers' trainable flags and the
// layer list at every fit, and optimizer state follows its parameter, whatever the list around it.
#include <cmath>
#include <cstring>

#include "test_util.h"

namespace nabla {
namespace {

std::vector<Tensor> copies(const std::vector<Tensor>& ts) {
  std::vector<Tensor> r;
  for (const Tensor& t : ts) r.push_back(t.detach().clone());
  return r;
}

bool bit_identical(const Tensor& a, const Tensor& b) {
  Tensor x = a.detach().contiguous(), y = b.detach().contiguous();
  return x.shape() == y.shape() && x.dtype() == y.dtype() && std::memcmp(x.raw_data(), y.raw_data(), x.nbytes()) == 0;
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  auto x = a.to_vector<double>(), y = b.to_vector<double>();
  double m = 0;
  for (size_t i = 0; i < x.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
  return m;
}

struct Data {
  Tensor x, y;
};
Data make_data(int64_t n = 64) {
  Data d{Tensor::uniform({n, 6}, -1, 1), Tensor()};
  std::vector<float> y;
  auto xv = d.x.to_vector<float>();
  for (int64_t i = 0; i < n; ++i) y.push_back(xv[size_t(i * 6)] + xv[size_t(i * 6 + 1)] > 0 ? 1.0f : 0.0f);
  d.y = Tensor::from_vector(y, {n, 1});
  return d;
}

TEST(Freeze, FrozenLayerStaysBitIdenticalWhileOthersLearnThenLearnsAgain) {
  manual_seed(11);
  auto d0 = layers::Dense(8, "relu", {.input_shape = {6}});
  auto d1 = layers::Dense(1, "sigmoid");
  Sequential model({d0, d1});
  model.compile("adam", "binary_crossentropy");
  Data d = make_data();
  model.fit(d.x, d.y, {.epochs = 1, .batch_size = 16, .verbose = 0});

  // Keras's recipe: freeze, compile again, fit.
  d0->trainable = false;
  model.compile("adam", "binary_crossentropy");
  auto frozen_before = copies({d0->weights()[0].value, d0->weights()[1].value});
  auto head_before = copies(d1->trainable_weights());
  model.fit(d.x, d.y, {.epochs = 2, .batch_size = 16, .verbose = 0});
  EXPECT_TRUE(bit_identical(d0->weights()[0].value, frozen_before[0])) << "frozen kernel moved";
  EXPECT_TRUE(bit_identical(d0->weights()[1].value, frozen_before[1])) << "frozen bias moved";
  EXPECT_GT(max_abs_diff(d1->weights()[0].value, head_before[0]), 1e-4) << "the trainable layer did not learn";
  EXPECT_EQ(model.trainable_weights().size(), 2u);

  // Unfrozen (same optimizer, no recompile): it learns again.
  d0->trainable = true;
  auto kernel_before = d0->weights()[0].value.detach().clone();
  model.fit(d.x, d.y, {.epochs = 1, .batch_size = 16, .verbose = 0});
  EXPECT_GT(max_abs_diff(d0->weights()[0].value, kernel_before), 1e-4) << "the unfrozen layer did not learn";
}

TEST(Freeze, FreezingWithoutRecompileTakesEffectAtTheNextStep) {
  manual_seed(12);
  auto d0 = layers::Dense(4, "tanh", {.input_shape = {6}});
  auto d1 = layers::Dense(1, "sigmoid");
  Sequential model({d0, d1});
  model.compile("sgd", "binary_crossentropy");
  Data d = make_data(16);
  model.train_on_batch(d.x, d.y);
  d0->trainable = false;
  Tensor k = d0->weights()[0].value.detach().clone();
  model.train_on_batch(d.x, d.y);
  EXPECT_TRUE(bit_identical(d0->weights()[0].value, k));
}

TEST(Freeze, EveryLayerFrozenTrainsNothingAndDoesNotFail) {
  manual_seed(13);
  auto d0 = layers::Dense(1, "sigmoid", {.input_shape = {6}});
  Sequential model({d0});
  model.compile("adam", "binary_crossentropy");
  d0->trainable = false;
  Data d = make_data(16);
  Tensor k = d0->weights()[0].value.detach().clone();
  auto logs = model.train_on_batch(d.x, d.y);
  EXPECT_TRUE(std::isfinite(logs["loss"]));
  EXPECT_TRUE(bit_identical(d0->weights()[0].value, k));
  EXPECT_EQ(model.optimizer().iterations(), 0);
}

TEST(Freeze, LayerAddedAfterAFitTrains) {
  manual_seed(14);
  Sequential model({layers::Dense(8, "relu", {.input_shape = {6}}), layers::Dense(4, "relu")});
  model.compile("adam", "mse");
  Data d = make_data();
  model.fit(d.x, Tensor::uniform({64, 4}, 0, 1), {.epochs = 1, .verbose = 0});
  Tensor y4 = Tensor::uniform({64, 1}, 0, 1);
  auto head = layers::Dense(1);
  model.add(head);
  model.compile("adam", "mse");  // builds the new layer (the model knows its input shape)
  ASSERT_TRUE(head->built());
  Tensor k = head->weights()[0].value.detach().clone();
  model.fit(d.x, y4, {.epochs = 1, .verbose = 0});
  EXPECT_GT(max_abs_diff(head->weights()[0].value, k), 1e-5) << "the added layer did not learn";
  EXPECT_EQ(model.trainable_weights().size(), 6u);
  // Its state exists and is named as Keras names it.
  auto vars = model.optimizer().variables_for(head->weights()[0].value);
  ASSERT_EQ(vars.size(), 2u);
  EXPECT_EQ(vars[0].first, "momentum");
  EXPECT_EQ(vars[1].first, "velocity");
}

TEST(Freeze, LayerAddedWithoutRecompileTrainsAtItsFirstStep) {
  manual_seed(15);
  Sequential model({layers::Dense(4, "relu", {.input_shape = {6}})});
  model.compile("sgd", "mse");
  Data d = make_data(16);
  model.train_on_batch(d.x, Tensor::zeros({16, 4}));
  auto head = layers::Dense(1);
  model.add(head);
  model.build_if_possible();
  Tensor k = head->weights()[0].value.detach().clone();
  model.train_on_batch(d.x, Tensor::ones({16, 1}));
  EXPECT_GT(max_abs_diff(head->weights()[0].value, k), 1e-6);
}

TEST(Freeze, FirstStepOfAModelBuiltByItsForwardPassUpdatesEveryLayer) {
  manual_seed(18);
  auto d0 = layers::Dense(4, "relu"), d1 = layers::Dense(1);  // no input shape: built by the first call
  Sequential model({d0, d1});
  model.compile("sgd", "mse");
  Data d = make_data(16);
  model.train_on_batch(d.x, Tensor::ones({16, 1}));
  ASSERT_TRUE(d1->built());
  EXPECT_NE(model.optimizer().iterations(), 0);
  // SGD without momentum moves each weight by -lr * grad; compare against one more step by hand.
  Tensor k = d1->weights()[0].value.detach().clone();
  Tensor loss = model.loss()(Tensor::ones({16, 1}), model(d.x, true));
  for (const Tensor& w : model.weights()) const_cast<Tensor&>(w).zero_grad();
  loss.backward();
  Tensor g = d1->weights()[0].value.grad().clone();
  model.train_on_batch(d.x, Tensor::ones({16, 1}));
  testing::expect_close(d1->weights()[0].value.detach(), k - g * 0.01, 1e-6, 1e-6);
}

TEST(Freeze, AdamStateOfAFrozenLayerIsKeptWhileTheOthersContinue) {
  // Model level: after freezing d0, d1's moments continue from where they were; d0's stay as they were.
  manual_seed(16);
  auto d0 = layers::Dense(4, "tanh", {.input_shape = {6}});
  auto d1 = layers::Dense(1, "sigmoid");
  Sequential model({d0, d1});
  model.compile("adam", "binary_crossentropy");
  Data d = make_data(32);
  model.fit(d.x, d.y, {.epochs = 1, .batch_size = 16, .verbose = 0, .shuffle = false});
  optim::Optimizer& opt = model.optimizer();
  auto d0_state = opt.variables_for(d0->weights()[0].value);
  ASSERT_EQ(d0_state.size(), 2u);
  Tensor m0 = d0_state[0].second.clone(), v0 = d0_state[1].second.clone();
  // The independent computation of d1's next step: its moments and gradient by hand.
  Tensor k1 = d1->weights()[0].value;
  Tensor m1 = opt.variables_for(k1)[0].second.clone(), v1 = opt.variables_for(k1)[1].second.clone();
  Tensor p1 = k1.detach().clone();
  d0->trainable = false;
  Tensor x16 = slice(d.x, 0, 0, 16), y16 = slice(d.y, 0, 0, 16);
  Tensor g1;
  {
    // Gradient of the loss w.r.t. d1's kernel at the current weights.
    Tensor loss = model.loss()(y16, model(x16, true));
    k1.zero_grad();
    loss.backward();
    g1 = k1.grad().clone();
    for (const Tensor& w : model.weights()) const_cast<Tensor&>(w).zero_grad();
  }
  const int64_t t = opt.iterations() + 1;
  model.train_on_batch(x16, y16);
  auto mv = opt.variables_for(k1);
  auto gv = g1.to_vector<float>(), mw = m1.to_vector<float>(), vw = v1.to_vector<float>(),
       pw = p1.to_vector<float>();
  auto m_now = mv[0].second.to_vector<float>(), v_now = mv[1].second.to_vector<float>(),
       p_now = k1.to_vector<float>();
  double alpha = 1e-3 * std::sqrt(1 - std::pow(0.999, double(t))) / (1 - std::pow(0.9, double(t)));
  for (size_t i = 0; i < gv.size(); ++i) {
    double m = 0.9 * mw[i] + 0.1 * gv[i], v = 0.999 * vw[i] + 0.001 * double(gv[i]) * gv[i];
    EXPECT_NEAR(m_now[i], m, 1e-6) << i;
    EXPECT_NEAR(v_now[i], v, 1e-7) << i;
    EXPECT_NEAR(p_now[i], pw[i] - alpha * m / (std::sqrt(v) + 1e-7), 1e-6) << i;
  }
  // The frozen layer's moments did not move.
  auto d0_now = opt.variables_for(d0->weights()[0].value);
  EXPECT_TRUE(bit_identical(d0_now[0].second, m0));
  EXPECT_TRUE(bit_identical(d0_now[1].second, v0));
}

TEST(Freeze, FrozenBatchNormRunsInInferenceModeAndKeepsItsMovingStatistics) {
  manual_seed(17);
  auto bn = layers::BatchNormalization();
  Sequential model({layers::Dense(3, "linear", {.input_shape = {6}}), bn, layers::Dense(1, "sigmoid")});
  model.compile("adam", "binary_crossentropy");
  Data d = make_data();
  model.fit(d.x, d.y, {.epochs = 1, .batch_size = 16, .verbose = 0});  // moving statistics move away from 0/1
  bn->trainable = false;
  model.compile("adam", "binary_crossentropy");
  Tensor mean = bn->moving_mean().clone(), var = bn->moving_variance().clone();
  Tensor gamma = bn->gamma().detach().clone(), beta = bn->beta().detach().clone();
  // In training mode the frozen layer normalizes with its moving statistics: the same output as inference.
  Tensor h = model.layers()[0]->operator()(slice(d.x, 0, 0, 8));
  testing::expect_close((*bn)(h, true), (*bn)(h, false), 0, 0);
  model.fit(d.x, d.y, {.epochs = 2, .batch_size = 16, .verbose = 0});
  EXPECT_TRUE(bit_identical(bn->moving_mean(), mean));
  EXPECT_TRUE(bit_identical(bn->moving_variance(), var));
  EXPECT_TRUE(bit_identical(bn->gamma(), gamma));
  EXPECT_TRUE(bit_identical(bn->beta(), beta));
  // Unfrozen, training mode uses the batch's statistics again and updates the moving ones.
  bn->trainable = true;
  model.fit(d.x, d.y, {.epochs = 1, .batch_size = 16, .verbose = 0});
  EXPECT_GT(max_abs_diff(bn->moving_mean(), mean), 1e-6);
}

}  // namespace
}  // namespace nabla
