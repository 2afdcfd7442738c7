#include <filesystem>
#include <fstream>
#include <sstream>

#include "debug/debug_test_util.h"

namespace nabla {
namespace {

using testing::named;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

std::shared_ptr<debug::Diagnostics> diag(std::ostringstream& out, int64_t every = 5) {
  return std::make_shared<debug::Diagnostics>(debug::DiagnosticsOptions{.out = &out, .every = every, .flat_after = 60});
}

Tensor class_labels(int64_t n, int64_t classes) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[size_t(i)] = i % classes;
  return Tensor::from_vector(v);
}

TEST(Diagnostics, HighLearningRateDivergesAndSuggestsALowerRate) {
  manual_seed(4);
  Sequential m({named(layers::Dense(1, "", {.input_shape = {4}}), "out")}, "reg");
  m.compile(std::make_shared<optim::SGD>(10.0), "mse");
  Tensor x = Tensor::uniform({64, 4}, -3, 3), y = Tensor::uniform({64, 1}, -1, 1);
  std::ostringstream out;
  auto d = diag(out);
  m.fit(x, y, {.epochs = 2, .batch_size = 8, .verbose = 0, .callbacks = {d}});
  const debug::Diagnosis* g = d->find("loss_diverging");
  if (!g) g = d->find("loss_nan");
  ASSERT_NE(g, nullptr) << d->report();
  EXPECT_TRUE(contains(g->evidence, "learning rate 10")) << g->evidence;
  EXPECT_TRUE(contains(g->advice, "try 1")) << g->advice;
  EXPECT_TRUE(contains(out.str(), "Diagnosis [loss_")) << out.str();
}

TEST(Diagnostics, TinyLearningRateGivesAFlatLoss) {
  manual_seed(5);
  Sequential m({layers::Dense(3, "softmax", {.input_shape = {4}})}, "clf");
  m.compile(std::make_shared<optim::SGD>(1e-7), "sparse_categorical_crossentropy", {"accuracy"});
  Tensor x = Tensor::uniform({120, 4}, -1, 1);
  std::ostringstream out;
  auto d = diag(out);
  m.fit(x, class_labels(120, 3), {.epochs = 4, .batch_size = 8, .verbose = 0, .callbacks = {d}});
  const debug::Diagnosis* f = d->find("loss_flat");
  ASSERT_NE(f, nullptr) << d->report();
  EXPECT_TRUE(contains(f->evidence, "over the first 60 steps")) << f->evidence;
  EXPECT_TRUE(contains(f->advice, "try 1e-06")) << f->advice;
  EXPECT_TRUE(contains(f->advice, "sparse_categorical_crossentropy")) << f->advice;
  EXPECT_FALSE(d->has("loss_nan"));
}

TEST(Diagnostics, DeadReluLayerIsNamedWithItsFraction) {
  manual_seed(6);
  auto hidden = named(layers::Dense(8, "relu", {.input_shape = {4}}), "hidden");
  Sequential m({hidden, named(layers::Dense(3, "softmax"), "head")}, "net");
  m.compile(std::make_shared<optim::SGD>(0.01), "sparse_categorical_crossentropy");
  m.build_if_possible();
  hidden->weights()[1].value.fill_(-100.0);  // every unit's pre-activation is far below zero
  std::ostringstream out;
  auto d = diag(out);
  m.fit(Tensor::uniform({32, 4}, 0, 1), class_labels(32, 3), {.epochs = 1, .batch_size = 8, .verbose = 0,
                                                               .callbacks = {d}});
  const debug::Diagnosis* g = d->find("dead_relu");
  ASSERT_NE(g, nullptr) << d->report();
  EXPECT_EQ(g->layer, "net/hidden");
  EXPECT_TRUE(contains(g->evidence, "100% of its ReLU units")) << g->evidence;
  ASSERT_FALSE(d->last_layer_stats().empty());
  EXPECT_EQ(d->last_layer_stats()[0].dead_fraction, 1.0);
  // no gradient reaches the dead layer's weights
  const debug::Diagnosis* v = d->find("vanishing_gradients");
  ASSERT_NE(v, nullptr) << d->report();
  EXPECT_EQ(v->layer, "net/hidden");
}

TEST(Diagnostics, HugeInputsSaturateSigmoidsAndExplodeGradients) {
  manual_seed(7);
  Sequential m({named(layers::Dense(16, "sigmoid", {.input_shape = {8}}), "sig"), named(layers::Dense(1), "out")},
               "sat");
  m.compile(std::make_shared<optim::SGD>(1e-4), "mse");
  std::ostringstream out;
  auto d = diag(out);
  m.fit(Tensor::uniform({32, 8}, -1000, 1000), Tensor::uniform({32, 1}, -1000, 1000),
        {.epochs = 1, .batch_size = 8, .verbose = 0, .callbacks = {d}});
  const debug::Diagnosis* s = d->find("saturated_activations");
  ASSERT_NE(s, nullptr) << d->report();
  EXPECT_EQ(s->layer, "sat/sig");
  EXPECT_TRUE(contains(s->advice, "scale the inputs")) << s->advice;
  const debug::Diagnosis* e = d->find("exploding_gradients");
  ASSERT_NE(e, nullptr) << d->report();
  EXPECT_TRUE(contains(e->advice, "clipnorm")) << e->advice;
}

TEST(Diagnostics, OverfittingFromTheEpochLogs) {
  std::ostringstream out;
  auto d = diag(out);
  callbacks::Logs logs{{"accuracy", 0.99}, {"val_accuracy", 0.71}, {"loss", 0.02}, {"val_loss", 1.3}};
  d->on_epoch_end(4, logs);
  const debug::Diagnosis* o = d->find("overfitting");
  ASSERT_NE(o, nullptr) << d->report();
  EXPECT_TRUE(contains(o->evidence, "training accuracy 0.99 but validation accuracy 0.71 after epoch 5")) << o->evidence;
  EXPECT_TRUE(contains(o->advice, "EarlyStopping"));
}

TEST(Diagnostics, AccuracyStuckAtTheMajorityShareIsImbalance) {
  manual_seed(8);
  // A zero kernel and bias give equal scores, so the model predicts class 0 everywhere; 80% of labels are 0.
  Sequential m({layers::Dense(2, "softmax", {.kernel_initializer = "zeros", .input_shape = {3}})}, "imb");
  m.compile(std::make_shared<optim::SGD>(1e-9), "sparse_categorical_crossentropy", {"accuracy"});
  std::vector<int64_t> labels(50, 0);
  for (int i = 0; i < 10; ++i) labels[size_t(i * 5)] = 1;
  std::ostringstream out;
  auto d = diag(out);
  m.fit(Tensor::uniform({50, 3}, -1, 1), Tensor::from_vector(labels),
        {.epochs = 1, .batch_size = 10, .verbose = 0, .callbacks = {d}});
  const debug::Diagnosis* g = d->find("majority_class");
  ASSERT_NE(g, nullptr) << d->report();
  EXPECT_TRUE(contains(g->evidence, "majority class 0 (0.8 of 50 labels)")) << g->evidence;
  EXPECT_TRUE(contains(g->advice, "class_weight = {{0, 0.625}, {1, 2.5}}")) << g->advice;
}

TEST(Diagnostics, HealthyTrainingHasNoDiagnoses) {
  manual_seed(9);
  Sequential m({layers::Dense(8, "relu", {.input_shape = {2}}), layers::Dense(1)}, "ok");
  m.compile(std::make_shared<optim::SGD>(0.05), "mse");
  Tensor x = Tensor::uniform({64, 2}, -1, 1);
  Tensor y = Tensor::uniform({64, 1}, -1, 1);
  std::ostringstream out;
  auto d = diag(out);
  m.fit(x, y, {.epochs = 1, .batch_size = 8, .verbose = 0, .callbacks = {d}});
  EXPECT_TRUE(d->diagnoses().empty()) << d->report();
  EXPECT_EQ(d->report(), "Diagnostics: no problems found\n");
}

TEST(LRFinder, SweepsExponentiallySuggestsARateAndRestoresTheModel) {
  manual_seed(10);
  Sequential m({layers::Dense(1, "", {.input_shape = {3}})}, "lr");
  m.compile(std::make_shared<optim::SGD>(0.01), "mse");
  Tensor x = Tensor::uniform({256, 3}, -1, 1);
  Tensor w = Tensor::from_vector(std::vector<float>{1.5f, -2.0f, 0.5f}, Shape{3, 1});
  Tensor y = matmul(x, w);
  m.build_if_possible();
  auto before = m.get_weights();
  std::string csv = testing::temp_dir() + "/lr.csv";
  std::ostringstream out;
  auto r = debug::lr_range_test(m, x, y, {.start_lr = 1e-5, .end_lr = 100, .steps = 120, .csv_path = csv, .out = &out});
  ASSERT_GT(r.learning_rates.size(), 20u);
  EXPECT_NEAR(r.learning_rates[1] / r.learning_rates[0], std::pow(1e7, 1.0 / 119), 1e-9);
  EXPECT_LT(r.learning_rates.size(), 120u);  // a learning rate of 100 diverges, which stops the sweep early
  EXPECT_GT(r.suggested_lr, 1e-3);
  EXPECT_LT(r.suggested_lr, 1.0);
  EXPECT_DOUBLE_EQ(r.suggested_lr, r.best_lr / 10);
  EXPECT_TRUE(contains(out.str(), "suggested learning rate")) << out.str();
  EXPECT_TRUE(contains(r.plot, "*"));
  testing::expect_close(m.get_weights()[0], before[0], 0, 0);
  EXPECT_DOUBLE_EQ(m.optimizer().learning_rate(), 0.01);
  std::ifstream f(csv);
  std::string header;
  std::getline(f, header);
  EXPECT_EQ(header, "step,learning_rate,loss,smoothed_loss");
}

TEST(GradNormLogger, WritesOneColumnPerLayer) {
  manual_seed(11);
  Sequential m({named(layers::Dense(4, "relu", {.input_shape = {2}}), "a"), named(layers::Dense(1), "b")}, "g");
  m.compile(std::make_shared<optim::SGD>(0.01), "mse");
  std::string path = testing::temp_dir() + "/norms.csv";
  auto logger = std::make_shared<debug::GradNormLogger>(path, 2);
  m.fit(Tensor::uniform({32, 2}, -1, 1), Tensor::uniform({32, 1}, -1, 1),
        {.epochs = 1, .batch_size = 8, .verbose = 0, .callbacks = {logger}});
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);
  EXPECT_EQ(line, "epoch,step,g/a/grad_norm,g/b/grad_norm,g/a/weight_norm,g/b/weight_norm");
  int rows = 0;
  while (std::getline(f, line)) ++rows;
  EXPECT_EQ(rows, 2);  // steps 0 and 2 of 4
}

TEST(TerminateOnNaNWiring, NamesEpochBatchAndGlobalStep) {
  manual_seed(12);
  Sequential m({layers::Dense(1, "", {.input_shape = {2}})}, "t");
  m.compile(std::make_shared<optim::SGD>(1e30), "mse");
  std::ostringstream out;
  auto cb = std::make_shared<callbacks::TerminateOnNaN>(&out);
  m.fit(Tensor::uniform({64, 2}, -1, 1), Tensor::uniform({64, 1}, -1, 1),
        {.epochs = 3, .batch_size = 8, .verbose = 0, .callbacks = {cb}});
  ASSERT_GE(cb->terminated_step(), 0);
  EXPECT_TRUE(contains(out.str(), "global step " + std::to_string(cb->terminated_step()))) << out.str();
  EXPECT_TRUE(contains(out.str(), "debug::enable_check_numerics()")) << out.str();
}

}  // namespace
}  // namespace nabla
