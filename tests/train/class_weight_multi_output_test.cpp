#include "test_util.h"

namespace nabla {
namespace {

template <class L>
std::shared_ptr<L> named(std::shared_ptr<L> layer, const std::string& name) {
  layer->set_name(name);
  return layer;
}

// x -> tanh hidden -> two softmax heads: out_a (3 classes) and out_b (2 classes), both trained with the
// compiled sparse categorical crossentropy.
struct TwoHeads {
  std::unique_ptr<Functional> model;
  Tensor x, ya, yb;

  explicit TwoHeads(double lr) {
    manual_seed(11);
    const int64_t n = 12;
    x = Tensor::normal({n, 4});
    ya = Tensor::from_vector<int64_t>({0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2});
    yb = Tensor::from_vector<int64_t>({0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0});
    auto in = Input({4}, "x");
    auto h = apply_layer(layers::Dense(6, "tanh"), in);
    auto a = apply_layer(named(layers::Dense(3, "softmax"), "out_a"), h);
    auto b = apply_layer(named(layers::Dense(2, "softmax"), "out_b"), h);
    model = std::make_unique<Functional>(std::vector<KerasTensor>{in}, std::vector<KerasTensor>{a, b}, "heads");
    model->compile(std::make_shared<optim::SGD>(lr), "sparse_categorical_crossentropy", {},
                   {"accuracy"});
  }
  // The per-sample weights class_weights {"out_b": {1: 3}} stands for: 3 where out_b's label is 1, else 1.
  Tensor out_b_weights() const {
    Tensor w = Tensor::empty({yb.size(0)});
    for (int64_t i = 0; i < yb.size(0); ++i) w.data<float>()[i] = yb.data<int64_t>()[i] == 1 ? 3.f : 1.f;
    return w;
  }
  // One full-batch SGD step on the whole data, unshuffled, so the update is lr times the gradient.
  FitOptions one_step() const { return {.epochs = 1, .batch_size = x.size(0), .verbose = 0, .shuffle = false}; }
};

std::vector<Tensor> copies(const std::vector<Tensor>& ws) {
  std::vector<Tensor> r;
  for (const Tensor& w : ws) r.push_back(w.detach().clone());
  return r;
}

TEST(ClassWeightMultiOutput, StepEqualsExplicitPerOutputSampleWeights) {
  const double lr = 0.5;
  TwoHeads m(lr);
  Functional& model = *m.model;
  const Tensor wb = m.out_b_weights();
  const std::vector<Tensor> before = copies(model.trainable_weights());

  // The expected gradient: out_a's loss unweighted plus out_b's loss with explicit per-sample weights.
  for (Tensor w : model.trainable_weights()) w.zero_grad();
  std::vector<Tensor> p = model.call({m.x}, true);
  Tensor la = model.loss()(m.ya, p[0], Tensor()), lb = model.loss()(m.yb, p[1], wb);
  (la + lb).backward();
  std::vector<Tensor> expected_grads;
  for (const Tensor& w : model.trainable_weights()) expected_grads.push_back(w.grad().clone());
  const double lb_unweighted = model.loss()(m.yb, p[1].detach(), Tensor()).item();
  ASSERT_GT(std::abs(lb.item() - lb_unweighted), 1e-3);  // the weights matter for this data

  FitOptions opts = m.one_step();
  opts.class_weights = {{"out_b", {{1, 3.0}}}};
  History h = model.fit({m.x}, {m.ya, m.yb}, opts);

  const std::vector<Tensor> after = model.trainable_weights();
  ASSERT_EQ(after.size(), expected_grads.size());
  for (size_t i = 0; i < after.size(); ++i)
    testing::expect_close((before[i] - after[i].detach()) * (1.0 / lr), expected_grads[i], 1e-5, 1e-4);
  // The logged losses are those of the weights before the step: out_b weighted, out_a as without weights.
  EXPECT_NEAR(h["out_b_loss"].back(), lb.item(), 1e-5);
  EXPECT_NEAR(h["out_a_loss"].back(), la.item(), 1e-5);
  EXPECT_NEAR(h["loss"].back(), la.item() + lb.item(), 1e-5);
  // Weighted metrics use each output's own weights.
  auto acc_b = metrics::get("accuracy", model.loss().accuracy_metric());
  auto acc_a = metrics::get("accuracy", model.loss().accuracy_metric());
  acc_b->update_state(m.yb, p[1].detach(), wb);
  acc_a->update_state(m.ya, p[0].detach());
  EXPECT_NEAR(h["out_b_weighted_accuracy"].back(), acc_b->result(), 1e-9);
  EXPECT_NEAR(h["out_a_weighted_accuracy"].back(), acc_a->result(), 1e-9);
}

TEST(ClassWeightMultiOutput, UnweightedOutputMatchesAPlainFit) {
  // The same step without class_weights gives the same out_a loss, and a different out_b loss.
  TwoHeads plain(0.1), weighted(0.1);
  History hp = plain.model->fit({plain.x}, {plain.ya, plain.yb}, plain.one_step());
  FitOptions opts = weighted.one_step();
  opts.class_weights = {{"out_b", {{1, 3.0}}}};
  History hw = weighted.model->fit({weighted.x}, {weighted.ya, weighted.yb}, opts);
  EXPECT_NEAR(hw["out_a_loss"].back(), hp["out_a_loss"].back(), 1e-6);
  EXPECT_GT(std::abs(hw["out_b_loss"].back() - hp["out_b_loss"].back()), 1e-3);
}

TEST(ClassWeightMultiOutput, Errors) {
  TwoHeads m(0.1);
  const std::vector<Tensor> before = copies(m.model->trainable_weights());
  FitOptions unknown = m.one_step();
  unknown.class_weights = {{"out_c", {{1, 2.0}}}};
  testing::expect_error_contains([&] { m.model->fit({m.x}, {m.ya, m.yb}, unknown); },
                                 {"'out_c'", "'out_a', 'out_b'"});
  FitOptions both = m.one_step();
  both.class_weights = {{"out_b", {{1, 2.0}}}};
  both.class_weight = {{1, 2.0}};
  testing::expect_error_contains([&] { m.model->fit({m.x}, {m.ya, m.yb}, both); }, {"not both"});
  FitOptions single = m.one_step();
  single.class_weight = {{1, 2.0}};
  testing::expect_error_contains([&] { m.model->fit({m.x}, {m.ya, m.yb}, single); },
                                 {"class_weight needs a single output", "class_weights"});
  // A class id beyond out_b's two units is rejected against out_b's shape, not another output's.
  FitOptions range = m.one_step();
  range.class_weights = {{"out_b", {{2, 2.0}}}};
  testing::expect_error_contains([&] { m.model->fit({m.x}, {m.ya, m.yb}, range); }, {"class 2", "0..1"});
  // The name checks run before any step, so the failed fits left the weights alone.
  const std::vector<Tensor> after = m.model->trainable_weights();
  for (size_t i = 0; i < after.size(); ++i) testing::expect_close(after[i].detach(), before[i], 0, 0);
}

}  // namespace
}  // namespace nabla
