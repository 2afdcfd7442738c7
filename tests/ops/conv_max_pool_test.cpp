// conv2d_relu_max_pool2d (ops/conv_max_pool.h): Conv2D(relu) -> MaxPooling2D(2) as one op must give conv2d then
// max_pool2d's output and gradients bit for bit, and Sequential must take it exactly where it applies.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>
#include <vector>

#include "nabla/autograd/node.h"
#include "nabla/kernels/conv.h"
#include "nabla/kernels/conv_few_channels.h"
#include "nabla/nabla.h"
#include "nabla/ops/conv_max_pool.h"
#include "test_util.h"

using namespace nabla;

namespace {

const Conv2DArgs kRelu{{1, 1}, Padding::valid, {1, 1}, FusedActivation::relu};

struct Observer : autograd::OpObserver {
  void on_forward(const char*, const std::string&, const std::vector<Tensor>&, const Tensor&) override {}
  void on_backward(const autograd::Node&, const autograd::GradList&) override {}
};

std::vector<uint32_t> bits(const Tensor& t) {
  std::vector<uint32_t> out;
  for (float v : t.to_vector<float>()) out.push_back(std::bit_cast<uint32_t>(v));
  return out;
}

// Output, weight, bias and (where asked) input gradients of the fused op and of the two ops, bit for bit.
void expect_same_as_two_ops(const Tensor& x, const Tensor& w, const Tensor& b, bool input_grad, Generator& gen,
                            const std::string& what) {
  Tensor gy;
  std::vector<Tensor> got[2];
  for (int fused : {0, 1}) {
    Tensor xi = input_grad ? x.clone().requires_grad_() : x;
    Tensor wi = w.clone().requires_grad_(), bi = b.defined() ? b.clone().requires_grad_() : Tensor();
    Tensor y = fused ? conv2d_relu_max_pool2d(xi, wi, bi, kRelu, {}) : max_pool2d(conv2d(xi, wi, bi, kRelu));
    if (!gy.defined()) gy = Tensor::uniform(y.shape(), -1, 1, f32, &gen);
    y.backward(gy);
    got[fused] = {y.detach(), wi.grad(), bi.defined() ? bi.grad() : Tensor(), input_grad ? xi.grad() : Tensor()};
  }
  const char* names[] = {"output", "kernel gradient", "bias gradient", "input gradient"};
  for (size_t k = 0; k < 4; ++k) {
    if (!got[0][k].defined()) continue;
    EXPECT_EQ(got[0][k].shape(), got[1][k].shape()) << what << ": " << names[k];
    EXPECT_EQ(bits(got[0][k]), bits(got[1][k])) << what << ": " << names[k];
  }
}

// The names of the ops that produced t, all the way back.
std::set<std::string> op_names(const Tensor& t) {
  std::set<std::string> names;
  std::vector<const autograd::Node*> pending{t.grad_fn().get()};
  while (!pending.empty()) {
    const autograd::Node* n = pending.back();
    pending.pop_back();
    if (!n) continue;
    names.insert(n->name);
    for (const auto& in : n->inputs)
      if (in) pending.push_back(in->grad_fn.get());
  }
  return names;
}

bool applies(const Tensor& x, const Tensor& w) { return conv2d_relu_max_pool2d_applies(x, w, kRelu, {}); }

// On AVX2 conv2d's forward is oneDNN's (faster there alone) and rounds differently from the fused op's: the
// references below take the few-channel forward on every ISA.
class ConvMaxPool : public ::testing::Test {
 protected:
  void SetUp() override { kernels::detail::few_channels_forward_everywhere(true); }
  void TearDown() override { kernels::detail::few_channels_forward_everywhere(false); }
};

TEST_F(ConvMaxPool, SameBitsAsConvThenMaxPool) {
  Generator gen(11);
  if (!applies(Tensor::zeros({1, 28, 28, 1}), Tensor::zeros({3, 3, 1, 32})))
    GTEST_SKIP() << "the fused kernel needs AVX2 (kernels/conv_few_channels.h)";
  // W3's first layer; 3 channels with odd output sizes (the last row and column are pooled by none); no bias;
  // a batch that is no multiple of the weight gradient's chunk of images; 8 filters (AVX2 rows on AVX-512).
  struct Case {
    Shape x, w;
    bool bias, input_grad;
  };
  for (const Case& c : {Case{{5, 28, 28, 1}, {3, 3, 1, 32}, true, false}, Case{{3, 11, 9, 3}, {3, 3, 3, 24}, true, false},
                        Case{{2, 10, 10, 2}, {3, 3, 2, 16}, false, false}, Case{{3, 9, 12, 1}, {2, 2, 1, 8}, true, true}}) {
    Tensor x = Tensor::uniform(c.x, -1, 1, f32, &gen), w = Tensor::uniform(c.w, -1, 1, f32, &gen);
    Tensor b = c.bias ? Tensor::uniform({c.w[3]}, -0.5, 0.5, f32, &gen) : Tensor();
    ASSERT_TRUE(applies(x, w)) << c.x.str();
    for (CpuIsa isa : {CpuIsa::avx2, cpu_isa()}) {  // AVX2 rows on an AVX-512 machine too
      kernels::detail::limit_conv_few_channels_isa(isa);
      expect_same_as_two_ops(x, w, b, c.input_grad, gen,
                             std::string(cpu_isa_name(isa)) + ": x " + c.x.str() + ", kernel " + c.w.str());
    }
    kernels::detail::limit_conv_few_channels_isa(cpu_isa());
  }
}

// Ties (a zero input: every window's four values equal the bias, relu'd) go to the first position; a NaN in the
// input reaches the outputs whose windows see it, as max_pool2d lets it (bits compare NaNs too).
TEST_F(ConvMaxPool, TiesAndNaNsAsMaxPool) {
  Generator gen(12);
  Tensor w = Tensor::uniform({3, 3, 1, 16}, -1, 1, f32, &gen), b = Tensor::uniform({16}, -1, 1, f32, &gen);
  Tensor zeros = Tensor::zeros({2, 8, 8, 1});
  if (!applies(zeros, w)) GTEST_SKIP() << "the fused kernel needs AVX2 (kernels/conv_few_channels.h)";
  // Where the gradient of a tie goes shows in the input gradient only (the weight gradient of a zero input is 0).
  expect_same_as_two_ops(zeros, w, b, true, gen, "zero input");
  std::vector<float> v = Tensor::uniform({2, 8, 8, 1}, -1, 1, f32, &gen).to_vector<float>();
  v[10] = std::numeric_limits<float>::quiet_NaN();
  v[64 + 37] = std::numeric_limits<float>::quiet_NaN();
  Tensor x = Tensor::from_vector(v, {2, 8, 8, 1});
  expect_same_as_two_ops(x, w, b, true, gen, "NaN input");
  EXPECT_TRUE(std::isnan(conv2d_relu_max_pool2d(x, w, b, kRelu, {}).to_vector<float>()[0]));
}

TEST_F(ConvMaxPool, AppliesOnlyWhereItComputesTheSame) {
  Tensor x = Tensor::zeros({2, 12, 12, 1}), w = Tensor::zeros({3, 3, 1, 16});
  if (!applies(x, w)) GTEST_SKIP() << "the fused kernel needs AVX2 (kernels/conv_few_channels.h)";
  EXPECT_FALSE(conv2d_relu_max_pool2d_applies(x, w, Conv2DArgs{}, {}));  // no relu
  EXPECT_FALSE(conv2d_relu_max_pool2d_applies(x, w, kRelu, Pool2DArgs{{3, 3}}));
  EXPECT_FALSE(conv2d_relu_max_pool2d_applies(x, w, kRelu, Pool2DArgs{{2, 2}, std::array<int64_t, 2>{1, 1}}));
  EXPECT_FALSE(conv2d_relu_max_pool2d_applies(x, w, kRelu, Pool2DArgs{{2, 2}, std::nullopt, Padding::same}));
  EXPECT_FALSE(applies(Tensor::zeros({2, 12, 12, 8}), Tensor::zeros({3, 3, 8, 16})));  // many channels: oneDNN's
  EXPECT_FALSE(applies(x.to(f64), w.to(f64)));
  EXPECT_FALSE(applies(Tensor::zeros({2, 2, 2, 1}), w));  // the window does not fit: conv2d's error to give
  Observer obs;
  autograd::set_op_observer(&obs);
  EXPECT_FALSE(applies(x, w));  // an observer would see one op where the model has two
  autograd::set_op_observer(nullptr);
  nabla::testing::expect_error_contains<Error>(
      [&] { conv2d_relu_max_pool2d(x, w, Tensor(), Conv2DArgs{}, {}); }, {"conv2d_relu_max_pool2d", "applies"});
}

// Sequential runs Conv2D(relu) -> MaxPooling2D(2) as the fused op where it applies, and the model computes what
// its layers called one by one compute.
TEST_F(ConvMaxPool, SequentialTakesItForConvReluThenMaxPool) {
  manual_seed(13);
  auto conv = layers::Conv2D(16, 3, "relu", {.input_shape = {12, 12, 1}});
  auto pool = layers::MaxPooling2D(2);
  auto dense = layers::Dense(4);
  Sequential model({conv, pool, layers::Flatten(), dense});
  Tensor x = Tensor::uniform({3, 12, 12, 1}, -1, 1);
  Tensor y = model({x}, true);
  if (!applies(x, conv->kernel())) GTEST_SKIP() << "the fused kernel needs AVX2 (kernels/conv_few_channels.h)";
  ASSERT_TRUE(y.grad_fn());
  const std::set<std::string> ops = op_names(y);
  EXPECT_TRUE(ops.count("conv2d_relu_max_pool2d"));
  EXPECT_FALSE(ops.count("conv2d_relu") || ops.count("max_pool2d"));
  auto flatten = layers::Flatten();
  Tensor by_layers = (*dense)({(*flatten)({(*pool)({(*conv)({x}, true)}, true)}, true)}, true);
  EXPECT_EQ(bits(y), bits(by_layers));
  // Under an observer (debugging), the two layers run as two ops.
  Observer obs;
  autograd::set_op_observer(&obs);
  Tensor observed = model({x}, true);
  autograd::set_op_observer(nullptr);
  EXPECT_TRUE(op_names(observed).count("max_pool2d"));
  EXPECT_EQ(bits(observed), bits(y));
}

}  // namespace
