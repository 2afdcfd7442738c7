// Fusing a relu's gradient into the next op's backward (autograd/node.h: sole_relu_input, relu_mask_applied):
// max pooling after Conv2D(activation="relu") masks its pooled gradient and the convolution skips its own mask.
// The gradients must be the unfused ones bit for bit, and the fusion must only happen when the pooling's
// gradient is the only one the relu output receives.
#include <gtest/gtest.h>

#include <vector>

#include "nabla/autograd/node.h"
#include "nabla/nabla.h"
#include "test_util.h"

using namespace nabla;

namespace {

using V = std::vector<Tensor>;

// A test op that asks, inside its backward, whether its first input is the sole use of a relu output; it sums
// its inputs (all of one shape).
Tensor probe(const std::vector<Tensor>& xs, bool* sole) {
  Tensor y = xs[0].detach().clone();
  for (size_t i = 1; i < xs.size(); ++i) y = y + xs[i].detach();
  autograd::attach(y, "probe", xs, [sole, n = xs.size()](const Tensor& g0, autograd::GradList& gi) {
    *sole = autograd::sole_relu_input(0);
    for (size_t i = 0; i < n; ++i) gi[i] = g0.contiguous();
  });
  return y;
}
Tensor probe(const Tensor& x, bool* sole) { return probe(std::vector<Tensor>{x}, sole); }

struct Observer : autograd::OpObserver {
  void on_forward(const char*, const std::string&, const std::vector<Tensor>&, const Tensor&) override {}
  void on_backward(const autograd::Node&, const autograd::GradList&) override {}
};

Tensor conv_relu(const Tensor& x, const Tensor& w, const Tensor& b) {
  return conv2d(x, w, b, Conv2DArgs{{1, 1}, Padding::valid, {1, 1}, FusedActivation::relu});
}

TEST(ReluFusion, OnlyTheSoleConsumerOfAReluOutputMayMask) {
  Generator gen(1);
  Tensor x = Tensor::uniform({2, 5, 5, 3}, -1, 1, f32, &gen), w = Tensor::uniform({3, 3, 3, 4}, -1, 1, f32, &gen);
  Tensor b = Tensor::uniform({4}, -1, 1, f32, &gen);
  w.requires_grad_();
  bool sole = false;
  probe(conv_relu(x, w, b), &sole).sum().backward();
  EXPECT_TRUE(sole);
  // Two consumers: the other one's gradient reaches the relu output too.
  Tensor y = conv_relu(x, w, b);
  (probe(y, &sole).sum() + y.sum()).backward();
  EXPECT_FALSE(sole);
  // Used twice by the same op.
  y = conv_relu(x, w, b);
  probe({y, y}, &sole).sum().backward();
  EXPECT_FALSE(sole);
  // No fused relu.
  probe(conv2d(x, w, b), &sole).sum().backward();
  EXPECT_FALSE(sole);
  probe(relu(conv2d(x, w, b)), &sole).sum().backward();
  EXPECT_FALSE(sole);
  // Dense(activation="relu") is a relu output too.
  Tensor wd = Tensor::uniform({3, 2}, -1, 1, f32, &gen).requires_grad_();
  probe(linear(Tensor::uniform({4, 3}, -1, 1, f32, &gen), wd, Tensor(), FusedActivation::relu), &sole)
      .sum()
      .backward();
  EXPECT_TRUE(sole);
  // An observer sees every op's input gradients: they stay the unfused ones.
  Observer obs;
  autograd::set_op_observer(&obs);
  probe(conv_relu(x, w, b), &sole).sum().backward();
  autograd::set_op_observer(nullptr);
  EXPECT_FALSE(sole);
}

// Conv2D(relu) -> MaxPooling2D, fused, against conv2d -> relu -> max_pool2d (never fused): same bits, including
// windows whose winner is 0 (a relu'd negative) and pools whose windows overlap or leave pixels out.
TEST(ReluFusion, MaxPoolingAfterAFusedReluGivesTheUnfusedGradientsBitForBit) {
  Generator gen(2);
  for (Pool2DArgs pool : {Pool2DArgs{}, Pool2DArgs{{3, 3}, std::array<int64_t, 2>{2, 2}, Padding::valid},
                          Pool2DArgs{{2, 2}, std::nullopt, Padding::same}}) {
    for (DType dt : {f32, f64}) {
      Tensor x = Tensor::uniform({3, 9, 8, 4}, -1, 1, dt, &gen), w = Tensor::uniform({3, 3, 4, 16}, -1, 1, dt, &gen);
      Tensor b = Tensor::uniform({16}, -1, 1, dt, &gen);
      Tensor gy;
      V grads[2];
      for (int fused : {0, 1}) {
        V in = {x.clone().requires_grad_(), w.clone().requires_grad_(), b.clone().requires_grad_()};
        Tensor h = fused ? conv_relu(in[0], in[1], in[2]) : relu(conv2d(in[0], in[1], in[2]));
        Tensor p = max_pool2d(h, pool);
        if (!gy.defined()) gy = Tensor::uniform(p.shape(), -1, 1, dt, &gen);
        p.backward(gy);
        grads[fused] = {in[0].grad(), in[1].grad(), in[2].grad()};
      }
      for (int i = 0; i < 3; ++i)
        if (dt == f64)
          EXPECT_EQ(grads[1][i].to_vector<double>(), grads[0][i].to_vector<double>()) << i;
        else
          EXPECT_EQ(grads[1][i].to_vector<float>(), grads[0][i].to_vector<float>()) << i;
    }
  }
}

TEST(ReluFusion, Gradcheck) {
  nabla::testing::expect_gradcheck(
      [](const V& v) { return max_pool2d(conv_relu(v[0], v[1], v[2])); }, {{2, 6, 7, 2}, {3, 3, 2, 3}, {3}});
  // The relu output feeds the pooling and one more op: no fusion, same gradient.
  nabla::testing::expect_gradcheck(
      [](const V& v) {
        Tensor h = conv_relu(v[0], v[1], v[2]);
        return max_pool2d(h).sum() + (h * h).sum();
      },
      {{2, 6, 7, 2}, {3, 3, 2, 3}, {3}});
}

}  // namespace
