// Regularizer penalties (Keras's formulas) and their gradients, and Layer::regularization_losses().
#include <gtest/gtest.h>

#include "nabla/nabla.h"
#include "test_util.h"

using namespace nabla;

namespace {
Tensor param(std::vector<float> v) {
  Tensor t = Tensor::from_vector<float>(v, Shape{2, 2});
  t.requires_grad_(true);
  return t;
}
}  // namespace

TEST(Regularizers, PenaltyValuesAndGradients) {
  Tensor w = param({1, -2, 3, -0.5f});
  // L1: 0.1 * (1 + 2 + 3 + 0.5) = 0.65; gradient 0.1 * sign(w).
  Tensor p = nn::regularizers::L1(0.1)(w);
  EXPECT_NEAR(p.item(), 0.65, 1e-6);
  p.backward();
  nabla::testing::expect_close(w.grad(), Tensor::from_vector<float>({0.1f, -0.1f, 0.1f, -0.1f}, Shape{2, 2}), 1e-7, 0);

  // L2: 0.01 * (1 + 4 + 9 + 0.25) = 0.1425; gradient 2 * 0.01 * w.
  Tensor w2 = param({1, -2, 3, -0.5f});
  Tensor q = nn::Regularizer("l2")(w2);
  EXPECT_NEAR(q.item(), 0.1425, 1e-6);
  q.backward();
  nabla::testing::expect_close(w2.grad(), Tensor::from_vector<float>({0.02f, -0.04f, 0.06f, -0.01f}, Shape{2, 2}), 1e-7, 0);

  // L1L2 is their sum.
  Tensor w3 = param({1, -2, 3, -0.5f});
  Tensor r = nn::regularizers::L1L2(0.1, 0.01)(w3);
  EXPECT_NEAR(r.item(), 0.65 + 0.1425, 1e-6);
  nabla::testing::expect_gradcheck([](const std::vector<Tensor>& in) { return nn::regularizers::L1L2(0.1, 0.01)(in[0]); },
                            {Shape{3, 2}}, 0.2, 1);
}

TEST(Regularizers, LayerLossesFollowTrainable) {
  auto d = layers::Dense(2, "", {.kernel_initializer = "ones", .kernel_regularizer = nn::regularizers::L2(0.5),
                                 .input_shape = {3}});
  d->ensure_built({Shape{-1, 3}});
  auto losses = d->regularization_losses();
  ASSERT_EQ(losses.size(), 1u);  // the bias has no regularizer
  EXPECT_NEAR(losses[0].item(), 0.5 * 6, 1e-6);
  losses[0].backward();
  nabla::testing::expect_close(d->kernel().grad(), Tensor::full({3, 2}, 1.0), 1e-7, 0);
  d->trainable = false;  // Keras counts only trainable weights' penalties
  EXPECT_TRUE(d->regularization_losses().empty());

  auto e = layers::Embedding(4, 2, {.embeddings_initializer = "ones", .embeddings_regularizer = "l1"});
  e->ensure_built({Shape{-1, 3}});
  ASSERT_EQ(e->regularization_losses().size(), 1u);
  EXPECT_NEAR(e->regularization_losses()[0].item(), 0.01 * 8, 1e-6);
  EXPECT_TRUE(layers::Dense(2)->regularization_losses().empty());
  nabla::testing::expect_error_contains([] { nn::Regularizer("l3"); }, {"unknown regularizer 'l3'", "l1_l2"});
}
