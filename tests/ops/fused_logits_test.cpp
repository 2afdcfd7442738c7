// The link from a softmax/sigmoid output to its logits lives in ops/ (not in core's TensorImpl) and lets the
// crossentropy losses take the stable fused path.
#include "test_util.h"

namespace nabla {
namespace {

TEST(FusedLogits, SoftmaxAndSigmoidOutputsRememberTheirLogits) {
  Tensor x = Tensor::normal({4, 3});
  Tensor p = softmax(x);
  EXPECT_TRUE(logits_behind(p, LogitsOf::softmax).same(x));
  EXPECT_FALSE(logits_behind(p, LogitsOf::sigmoid).defined());
  Tensor s = sigmoid(x);
  EXPECT_TRUE(logits_behind(s, LogitsOf::sigmoid).same(x));
  EXPECT_FALSE(logits_behind(s, LogitsOf::softmax).defined());
  // A copy or any other tensor is not linked.
  EXPECT_FALSE(logits_behind(p.clone(), LogitsOf::softmax).defined());
  EXPECT_FALSE(logits_behind(x, LogitsOf::softmax).defined());
  EXPECT_FALSE(logits_behind(Tensor(), LogitsOf::softmax).defined());
}

TEST(FusedLogits, TheLinkDiesWithTheOutputAndReleasesTheLogits) {
  size_t before = remembered_logits_count();
  std::weak_ptr<TensorImpl> logits;
  {
    Tensor x = Tensor::normal({8, 5});
    logits = x.impl_ptr();
    Tensor p = softmax(x);
    EXPECT_EQ(remembered_logits_count(), before + 1);
  }
  EXPECT_EQ(remembered_logits_count(), before);
  EXPECT_TRUE(logits.expired());
  // Many steps do not grow the table.
  for (int i = 0; i < 100; ++i) softmax(Tensor::normal({2, 3}));
  EXPECT_EQ(remembered_logits_count(), before);
}

TEST(FusedLogits, CrossentropyOnSoftmaxOutputsIsStable) {
  // Logits so far apart that softmax rounds to exactly 0 and 1 in float32: on probabilities the loss would be
  // clipped to -log(1e-7) = 16.1; through the logits it is the exact 50.
  Tensor x = Tensor::from_vector<float>({0, 50, 0, 0}, {2, 2}).requires_grad_();
  Tensor y = Tensor::from_vector<int64_t>({0, 0});
  losses::SparseCategoricalCrossentropy scce;
  Tensor loss = scce(y, softmax(x));
  EXPECT_NEAR(loss.item(), (50.0 + std::log(2.0)) / 2, 1e-4);
  loss.backward();
  EXPECT_NEAR(x.grad().to_vector<float>()[0], -0.5, 1e-6);  // (p - onehot) / N, not a clipped zero
  // The same under no_grad (evaluate): the link does not depend on the graph.
  NoGradGuard ng;
  EXPECT_NEAR(scce(y, softmax(x.detach())).item(), (50.0 + std::log(2.0)) / 2, 1e-4);
  losses::BinaryCrossentropy bce;
  Tensor z = Tensor::from_vector<float>({-40, 40}, {2, 1});
  EXPECT_NEAR(bce(Tensor::from_vector<float>({1, 0}, {2, 1}), sigmoid(z)).item(), 40.0, 1e-4);
}

}  // namespace
}  // namespace nabla
