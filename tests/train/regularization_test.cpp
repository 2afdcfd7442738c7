// Layers' regularization penalties (Keras's layer.losses) are part of the loss fit minimises and reports.
#include <gtest/gtest.h>

#include <cmath>

#include "nabla/nabla.h"
#include "nabla/nn/regularizers.h"

namespace nabla {
namespace {

double l2_of(const Tensor& w) {
  Tensor c = w.contiguous().to(f64);
  double s = 0;
  for (int64_t i = 0; i < c.numel(); ++i) s += c.data<double>()[i] * c.data<double>()[i];
  return s;
}

TEST(Regularization, EvaluatedLossIsDataLossPlusPenalty) {
  manual_seed(3);
  Tensor x = Tensor::normal({16, 4}), y = Tensor::normal({16, 2});
  auto plain = layers::Dense(2, "", {.input_shape = {4}});
  auto reg = layers::Dense(2, "", {.kernel_regularizer = nn::regularizers::L2(0.05), .input_shape = {4}});
  Sequential a({plain}), b({reg});
  a.compile("sgd", "mse");
  b.compile("sgd", "mse");
  a.build_if_possible();
  b.build_if_possible();
  b.set_weights(a.get_weights());
  double data_loss = a.evaluate(x, y, {.verbose = 0}).loss();
  double with_penalty = b.evaluate(x, y, {.verbose = 0}).loss();
  EXPECT_NEAR(with_penalty, data_loss + 0.05 * l2_of(reg->weight("kernel")), 1e-5);
}

TEST(Regularization, TrainingStepFollowsThePenaltysGradient) {
  // With zero data gradient (targets equal to predictions of a zero kernel) only the penalty moves the kernel:
  // SGD with lr 0.1 on 0.05 * sum(w^2) gives w <- w - 0.1 * 0.1 * w.
  manual_seed(4);
  Tensor x = Tensor::zeros({8, 3}), y = Tensor::zeros({8, 2});
  auto d = layers::Dense(2, "", {.use_bias = false, .kernel_regularizer = nn::regularizers::L2(0.05),
                                 .input_shape = {3}});
  Sequential m({d});
  m.compile(std::make_shared<optim::SGD>(0.1), "mse");
  m.build_if_possible();
  Tensor before = d->weight("kernel").clone();
  m.train_on_batch(x, y);
  Tensor after = d->weight("kernel");
  for (int64_t i = 0; i < before.numel(); ++i)
    EXPECT_NEAR(after.data<float>()[i], before.data<float>()[i] * (1 - 0.01), 1e-6);
  d->trainable = false;  // a frozen layer contributes no penalty (Keras) and does not move
  Tensor frozen = d->weight("kernel").clone();
  m.train_on_batch(x, y);
  for (int64_t i = 0; i < frozen.numel(); ++i) EXPECT_EQ(d->weight("kernel").data<float>()[i], frozen.data<float>()[i]);
}

}  // namespace
}  // namespace nabla
