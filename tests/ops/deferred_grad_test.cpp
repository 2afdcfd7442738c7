// Gradients handed over in compact form (autograd/deferred_grad.h): max pooling defers its input gradient to a
// producer that takes it, a first convolution reads it a few images at a time. The gradients must be the ones
// of the dense path bit for bit, and the hand-over must only happen to the sole consumer's producer.
#include <gtest/gtest.h>

#include <vector>

#include "nabla/autograd/deferred_grad.h"
#include "nabla/autograd/node.h"
#include "nabla/kernels/conv.h"
#include "nabla/nabla.h"
#include "test_util.h"

using namespace nabla;

namespace {

struct Seen {
  bool deferred = false;  // the producer's backward got a deferred gradient
  bool defined = false;   // ... or a dense one
};

// A test producer: y = x (a copy) whose backward takes a deferred gradient and passes it on materialized.
Tensor producer(const Tensor& x, Seen* seen) {
  Tensor y = x.detach().clone();
  autograd::attach(y, "producer", {&x}, [seen](const Tensor& g0, autograd::GradList& gi) {
    const autograd::DeferredGrad* d = autograd::deferred_grad();
    seen->deferred = d != nullptr;
    seen->defined = g0.defined();
    gi[0] = d ? d->materialize() : g0.contiguous();
  });
  return autograd::takes_deferred_grad(y);
}

// A test consumer that asks whether it could defer its gradient to its input's producer.
Tensor asks(const Tensor& x, bool* can) {
  Tensor y = x.detach().clone();
  autograd::attach(y, "asks", {&x}, [can](const Tensor& g0, autograd::GradList& gi) {
    *can = autograd::can_defer_grad(0);
    gi[0] = g0.contiguous();
  });
  return y;
}

struct Observer : autograd::OpObserver {
  void on_forward(const char*, const std::string&, const std::vector<Tensor>&, const Tensor&) override {}
  void on_backward(const autograd::Node&, const autograd::GradList&) override {}
};

Tensor conv_relu(const Tensor& x, const Tensor& w, const Tensor& b) {
  return conv2d(x, w, b, Conv2DArgs{{1, 1}, Padding::valid, {1, 1}, FusedActivation::relu});
}

TEST(DeferredGrad, MaxPoolingDefersToASoleProducerThatTakesIt) {
  Generator gen(3);
  for (DType dt : {f32, f64}) {
    Tensor x = Tensor::uniform({3, 6, 5, 2}, -1, 1, dt, &gen).requires_grad_();
    Tensor gy = Tensor::uniform({3, 3, 2, 2}, -1, 1, dt, &gen);
    max_pool2d(x).backward(gy);
    Tensor want = x.grad();
    x.zero_grad();
    Seen seen;
    max_pool2d(producer(x, &seen)).backward(gy);
    EXPECT_TRUE(seen.deferred);
    EXPECT_FALSE(seen.defined);
    if (dt == f64)
      EXPECT_EQ(x.grad().to_vector<double>(), want.to_vector<double>());
    else
      EXPECT_EQ(x.grad().to_vector<float>(), want.to_vector<float>());
    // The pooled output used further on: still the producer's one consumer.
    x.zero_grad();
    Tensor h = producer(x, &seen);
    (max_pool2d(h) * gy).sum().backward();
    EXPECT_TRUE(seen.deferred);
    // The producer's output used twice: it gets the sum, dense.
    x.zero_grad();
    h = producer(x, &seen);
    ((max_pool2d(h) * gy).sum() + h.sum()).backward();
    EXPECT_FALSE(seen.deferred);
    EXPECT_TRUE(seen.defined);
    // An observer sees every op's input gradients, so nothing is deferred.
    Observer obs;
    autograd::set_op_observer(&obs);
    max_pool2d(producer(x, &seen)).backward(gy);
    autograd::set_op_observer(nullptr);
    EXPECT_FALSE(seen.deferred);
  }
}

TEST(DeferredGrad, DeferringIsRefusedWhereTheProducerCannotTakeIt) {
  Tensor x = Tensor::uniform({2, 4, 4, 1}, -1, 1).requires_grad_();
  bool can = true;
  asks(relu(x), &can).sum().backward();  // relu reads only dense gradients
  EXPECT_FALSE(can);
  Seen seen;
  asks(producer(x, &seen), &can).sum().backward();
  EXPECT_TRUE(can);
  // defer_grad where it may not: a clear error, not a lost gradient.
  Tensor r = relu(x);
  Tensor z = r.detach().clone();
  autograd::attach(z, "bad", {&r}, [](const Tensor&, autograd::GradList&) {
    autograd::defer_grad(0, nullptr);
  });
  nabla::testing::expect_error_contains<Error>([&] { z.sum().backward(); }, {"defer_grad", "input 0"});
}

// A first convolution (its input needs no gradient) with few input channels takes max pooling's gradient in
// compact form exactly when its weight gradient reads dL/dy by images.
TEST(DeferredGrad, OnlyAFirstConvolutionWithFewChannelsTakesIt) {
  Generator gen(4);
  Tensor x = Tensor::uniform({2, 7, 7, 1}, -1, 1, f32, &gen);
  Tensor w = Tensor::uniform({3, 3, 1, 16}, -1, 1, f32, &gen).requires_grad_();
  Tensor b = Tensor::zeros({16}).requires_grad_();
  const bool reads_images = kernels::conv2d_backward_weights_reads_images(
      kernels::Conv2DGeometry{.n = 2, .h = 7, .w = 7, .c = 1, .kh = 3, .kw = 3, .o = 16, .oh = 5, .ow = 5}, f32);
  bool can = false;
  asks(conv_relu(x, w, b), &can).sum().backward();
  EXPECT_EQ(can, reads_images);
  asks(conv_relu(x.clone().requires_grad_(), w, b), &can).sum().backward();
  EXPECT_FALSE(can);  // the input gradient needs dL/dy whole
  asks(conv_relu(x.to(f64), w.detach().to(f64).requires_grad_(), b.detach().to(f64)), &can).sum().backward();
  EXPECT_FALSE(can);
}

// Conv2D(relu) on few channels -> MaxPooling2D: the weight and bias gradients with max pooling's gradient read by
// images (the input needs no gradient) against the dense path (the same network with an input gradient), bit for
// bit; a batch that is no multiple of the kernel's chunk of images, pools that tile, overlap or leave pixels out.
TEST(DeferredGrad, FirstConvolutionAfterMaxPoolingGivesTheDenseGradientsBitForBit) {
  Generator gen(5);
  for (Pool2DArgs pool : {Pool2DArgs{}, Pool2DArgs{{3, 3}, std::array<int64_t, 2>{2, 2}, Padding::valid},
                          Pool2DArgs{{2, 2}, std::nullopt, Padding::same}}) {
    for (int64_t c : {1, 3}) {
      Tensor x = Tensor::uniform({6, 11, 10, c}, -1, 1, f32, &gen);
      Tensor w = Tensor::uniform({3, 3, c, 24}, -1, 1, f32, &gen), b = Tensor::uniform({24}, -1, 1, f32, &gen);
      Tensor gy;
      std::vector<Tensor> grads[2];
      for (int dense : {0, 1}) {
        Tensor wi = w.clone().requires_grad_(), bi = b.clone().requires_grad_();
        Tensor p = max_pool2d(conv_relu(dense ? x.clone().requires_grad_() : x, wi, bi), pool);
        if (!gy.defined()) gy = Tensor::uniform(p.shape(), -1, 1, f32, &gen);
        p.backward(gy);
        grads[dense] = {wi.grad(), bi.grad()};
      }
      EXPECT_EQ(grads[0][0].to_vector<float>(), grads[1][0].to_vector<float>()) << "weights, c=" << c;
      EXPECT_EQ(grads[0][1].to_vector<float>(), grads[1][1].to_vector<float>()) << "bias, c=" << c;
    }
  }
}

}  // namespace
