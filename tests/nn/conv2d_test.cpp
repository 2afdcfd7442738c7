#include <bit>
#include <functional>
#include <utility>
#include <vector>

#include "test_util.h"

#include "nabla/kernels/conv.h"
#include "nabla/kernels/conv_few_channels.h"

namespace nabla {
namespace {

using V = std::vector<Tensor>;

// Direct definition of a Keras convolution (float64), independent of im2col and oneDNN.
Tensor naive_conv(const Tensor& x, const Tensor& w, const Tensor& b, std::array<int64_t, 2> s, Padding p,
                  std::array<int64_t, 2> d) {
  int64_t n = x.size(0), h = x.size(1), wd = x.size(2), c = x.size(3), kh = w.size(0), kw = w.size(1),
          o = w.size(3);
  Window1D wy = window_1d(h, kh, s[0], d[0], p), wx = window_1d(wd, kw, s[1], d[1], p);
  auto xv = x.to_vector<double>(), wv = w.to_vector<double>();
  auto bv = b.defined() ? b.to_vector<double>() : std::vector<double>(size_t(o), 0.0);
  std::vector<double> y(size_t(n * wy.out * wx.out * o));
  for (int64_t bi = 0; bi < n; ++bi)
    for (int64_t oy = 0; oy < wy.out; ++oy)
      for (int64_t ox = 0; ox < wx.out; ++ox)
        for (int64_t f = 0; f < o; ++f) {
          double acc = bv[size_t(f)];
          for (int64_t ky = 0; ky < kh; ++ky)
            for (int64_t kx = 0; kx < kw; ++kx) {
              int64_t iy = oy * s[0] - wy.pad_before + ky * d[0], ix = ox * s[1] - wx.pad_before + kx * d[1];
              if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
              for (int64_t ch = 0; ch < c; ++ch)
                acc += xv[size_t(((bi * h + iy) * wd + ix) * c + ch)] * wv[size_t(((ky * kw + kx) * c + ch) * o + f)];
            }
          y[size_t(((bi * wy.out + oy) * wx.out + ox) * o + f)] = acc;
        }
  return Tensor::from_vector(y, Shape{n, wy.out, wx.out, o});
}

struct Case {
  Shape x, w;
  std::array<int64_t, 2> s, d;
  Padding p;
};
const std::vector<Case> kCases = {
    {{2, 5, 6, 3}, {3, 3, 3, 4}, {1, 1}, {1, 1}, Padding::valid},
    {{2, 5, 6, 3}, {3, 2, 3, 4}, {1, 1}, {1, 1}, Padding::same},
    {{1, 7, 8, 2}, {3, 3, 2, 3}, {2, 3}, {1, 1}, Padding::valid},
    {{1, 7, 8, 2}, {3, 3, 2, 3}, {2, 2}, {1, 1}, Padding::same},
    {{1, 8, 7, 2}, {2, 3, 2, 2}, {1, 1}, {2, 2}, Padding::valid},
    {{1, 6, 7, 2}, {3, 3, 2, 2}, {1, 1}, {2, 3}, Padding::same},
};
// Shapes oneDNN's Winograd kernels take (3x3, stride 1, channels in blocks of 16), beside two they refuse.
const std::vector<Case> kWinogradCases = {
    {{2, 9, 10, 16}, {3, 3, 16, 32}, {1, 1}, {1, 1}, Padding::valid},
    {{3, 13, 13, 32}, {3, 3, 32, 16}, {1, 1}, {1, 1}, Padding::same},
    {{2, 9, 10, 16}, {3, 3, 16, 16}, {2, 2}, {1, 1}, Padding::valid},
    {{2, 7, 7, 16}, {5, 5, 16, 16}, {1, 1}, {1, 1}, Padding::same},
};

// Shapes the few-channel kernels take (kernels/conv_few_channels.h): 5 images (a chunk of 4 and one of 1), 75 taps
// (groups of 12 and a last of 3), 24 output channels (AVX-512: a 16-wide block and an 8-wide AVX2 one), "same"
// padding uneven on both axes, a 1x1 kernel; rows of 30 and 19 output pixels with 48 and 40 channels take the
// forward's pixel blocks (8 for 32 columns, 12 for 16) and their single-pixel tails.
const std::vector<Case> kFewChannelCases = {
    {{5, 10, 9, 1}, {3, 3, 1, 32}, {1, 1}, {1, 1}, Padding::valid},
    {{2, 14, 30, 1}, {3, 3, 1, 48}, {1, 1}, {1, 1}, Padding::same},
    {{1, 9, 21, 2}, {3, 3, 2, 40}, {1, 1}, {1, 1}, Padding::valid},
    {{3, 8, 8, 3}, {5, 5, 3, 24}, {1, 1}, {1, 1}, Padding::same},
    {{2, 6, 7, 2}, {2, 4, 2, 8}, {1, 1}, {1, 1}, Padding::same},
    {{2, 5, 5, 4}, {1, 1, 4, 16}, {1, 1}, {1, 1}, Padding::valid},
};

TEST(Conv2D, ForwardMatchesDirectDefinition) {
  Generator gen(3);
  for (const Case& k : kCases) {
    Tensor x = Tensor::uniform(k.x, -1, 1, f64, &gen), w = Tensor::uniform(k.w, -1, 1, f64, &gen);
    Tensor b = Tensor::uniform({k.w[3]}, -1, 1, f64, &gen);
    Conv2DArgs a{k.s, k.p, k.d};
    Tensor ref = naive_conv(x, w, b, k.s, k.p, k.d);
    testing::expect_close(conv2d(x, w, b, a), ref, 1e-12, 1e-12);
    // float32 runs on oneDNN: same numbers to float precision.
    testing::expect_close(conv2d(x.to(f32), w.to(f32), b.to(f32), a), ref, 1e-4, 1e-4);
  }
}

TEST(Conv2D, Gradcheck) {
  for (const Case& k : kCases) {
    Conv2DArgs a{k.s, k.p, k.d};
    testing::expect_gradcheck([&](const V& v) { return conv2d(v[0], v[1], v[2], a); }, {k.x, k.w, {k.w[3]}});
  }
  // Without bias, and with relu fused (inputs away from the kink come from the random draw).
  testing::expect_gradcheck([](const V& v) { return conv2d(v[0], v[1]); }, {{2, 4, 4, 2}, {2, 2, 2, 3}});
  testing::expect_gradcheck(
      [](const V& v) {
        return conv2d(v[0], v[1], v[2], Conv2DArgs{{1, 1}, Padding::same, {1, 1}, FusedActivation::relu});
      },
      {{2, 4, 5, 2}, {3, 3, 2, 3}, {3}});
}

// Every float32 path (oneDNN on nhwc, oneDNN blocked, im2col + GEMM) agrees, forward and backward, with the
// float64 im2col path that the gradchecks verify.
class Conv2DPaths : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override { kernels::set_conv_impl(GetParam()); }
  void TearDown() override { kernels::set_conv_impl(""); }
};

TEST_P(Conv2DPaths, Float32MatchesFloat64) {
  Generator gen(5);
  std::vector<Case> cases = kCases;
  cases.insert(cases.end(), kWinogradCases.begin(), kWinogradCases.end());
  cases.insert(cases.end(), kFewChannelCases.begin(), kFewChannelCases.end());
  for (const Case& k : cases) {
    for (bool relu : {false, true}) {
      Tensor x = Tensor::uniform(k.x, -1, 1, f64, &gen), w = Tensor::uniform(k.w, -1, 1, f64, &gen);
      Tensor b = Tensor::uniform({k.w[3]}, -1, 1, f64, &gen);
      Conv2DArgs a{k.s, k.p, k.d, relu ? FusedActivation::relu : FusedActivation::none};
      Tensor gy = Tensor::uniform(conv2d_output_shape(k.x, k.w, a), -1, 1, f64, &gen);
      V grads[2];
      for (DType dt : {f64, f32}) {
        V in = {x.to(dt).requires_grad_(), w.to(dt).requires_grad_(), b.to(dt).requires_grad_()};
        conv2d(in[0], in[1], in[2], a).backward(gy.to(dt));
        grads[dt == f32] = {in[0].grad(), in[1].grad(), in[2].grad()};
      }
      for (int i = 0; i < 3; ++i) testing::expect_close(grads[1][i], grads[0][i], 1e-4, 1e-4);
      testing::expect_close(conv2d(x.to(f32), w.to(f32), b.to(f32), a), conv2d(x, w, b, a), 1e-4, 1e-4);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, Conv2DPaths, ::testing::Values("winograd", "nhwc", "blocked", "im2col"),
                         [](const auto& info) { return std::string(info.param); });

// The few-channel kernel (the default path's weight gradient for at most 4 input channels) takes the shapes it
// is meant for only, and gives the same bits with its AVX2 and AVX-512 versions and at 1 and 2 threads.
TEST(Conv2D, FewChannelsWeightGradient) {
  kernels::Conv2DGeometry g{.n = 6, .h = 12, .w = 11, .c = 1, .kh = 3, .kw = 3, .o = 48, .oh = 10, .ow = 9};
  if (kernels::detail::limit_conv_few_channels_isa(cpu_isa()) == CpuIsa::portable) GTEST_SKIP() << "no AVX2";
  EXPECT_TRUE(kernels::few_channels_applies(g));
  // The forward where it beats oneDNN: AVX-512 only (kernels/conv_few_channels.h).
  EXPECT_EQ(kernels::few_channels_forward_applies(g), cpu_isa() == CpuIsa::avx512);
  for (auto change : std::vector<std::function<void(kernels::Conv2DGeometry&)>>{
           [](kernels::Conv2DGeometry& h) { h.c = 5; }, [](kernels::Conv2DGeometry& h) { h.o = 12; },
           [](kernels::Conv2DGeometry& h) { h.sh = 2; }, [](kernels::Conv2DGeometry& h) { h.dw = 2; }}) {
    kernels::Conv2DGeometry h = g;
    change(h);
    EXPECT_FALSE(kernels::few_channels_applies(h));
  }
  Generator gen(8);
  Tensor x = Tensor::uniform({g.n, g.h, g.w, g.c}, -1, 1, f32, &gen);
  Tensor gy = Tensor::uniform({g.n, g.oh, g.ow, g.o}, -1, 1, f32, &gen);
  auto run = [&](CpuIsa isa, int threads) {
    kernels::detail::limit_conv_few_channels_isa(isa);
    const int before = get_num_threads();
    set_num_threads(threads);
    std::vector<float> gw(size_t(g.kh * g.kw * g.c * g.o)), gb(size_t(g.o));
    kernels::conv2d_backward_weights_few_channels(x.data<float>(), gy.data<float>(), gw.data(), gb.data(), g);
    set_num_threads(before);
    gw.insert(gw.end(), gb.begin(), gb.end());
    return gw;
  };
  const std::vector<float> want = run(CpuIsa::avx2, 1);
  for (auto [isa, threads] : std::vector<std::pair<CpuIsa, int>>{{CpuIsa::avx2, 2}, {CpuIsa::avx512, 1},
                                                                  {CpuIsa::avx512, 2}}) {
    const std::vector<float> got = run(isa, threads);
    for (size_t i = 0; i < want.size(); ++i)
      ASSERT_EQ(std::bit_cast<uint32_t>(got[i]), std::bit_cast<uint32_t>(want[i]))
          << cpu_isa_name(isa) << " (or the best below it) at " << threads << " threads, index " << i;
  }
  kernels::detail::limit_conv_few_channels_isa(cpu_isa());
}

// The few-channel forward (relu fused) computes the same bits with its AVX2 and AVX-512 rows, and agrees with
// oneDNN's forward to rounding.
TEST(Conv2D, FewChannelsForward) {
  kernels::Conv2DGeometry g{.n = 3, .h = 9, .w = 12, .c = 3, .kh = 3, .kw = 3, .o = 56, .oh = 7, .ow = 10};
  if (kernels::detail::limit_conv_few_channels_isa(cpu_isa()) == CpuIsa::portable) GTEST_SKIP() << "no AVX2";
  Generator gen(9);
  Tensor x = Tensor::uniform({g.n, g.h, g.w, g.c}, -1, 1, f32, &gen);
  Tensor w = Tensor::uniform({g.kh, g.kw, g.c, g.o}, -1, 1, f32, &gen), b = Tensor::uniform({g.o}, -1, 1, f32, &gen);
  auto run = [&](CpuIsa isa) {
    kernels::detail::limit_conv_few_channels_isa(isa);
    std::vector<float> y(size_t(g.n * g.oh * g.ow * g.o));
    kernels::conv2d_forward_few_channels(x.data<float>(), w.data<float>(), b.data<float>(), y.data(), g, true);
    return y;
  };
  const std::vector<float> avx2 = run(CpuIsa::avx2), avx512 = run(CpuIsa::avx512);
  kernels::detail::limit_conv_few_channels_isa(cpu_isa());
  for (size_t i = 0; i < avx2.size(); ++i)
    ASSERT_EQ(std::bit_cast<uint32_t>(avx512[i]), std::bit_cast<uint32_t>(avx2[i])) << "index " << i;
  kernels::set_conv_impl("nhwc");  // oneDNN's direct forward
  std::vector<float> want = conv2d(x, w, b, Conv2DArgs{{1, 1}, Padding::valid, {1, 1}, FusedActivation::relu})
                                .to_vector<float>();
  kernels::set_conv_impl("");
  for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(avx2[i], want[i], 1e-5) << "index " << i;
}

TEST(Conv2D, UnknownImplementationIsRefused) {
  testing::expect_error_contains<ValueError>([] { kernels::set_conv_impl("fft"); }, {"'fft'", "nhwc"});
}

TEST(Conv2D, SteadyStateCreatesNoPrimitives) {
  Tensor x = Tensor::ones({2, 6, 6, 3}), w = Tensor::ones({3, 3, 3, 4}).requires_grad_(), b = Tensor::zeros({4});
  auto step = [&] { conv2d(x, w, b, {.padding = Padding::same}).sum().backward(); };
  step();
  int64_t created = kernels::conv_primitives_created();
  step();
  step();
  EXPECT_EQ(kernels::conv_primitives_created(), created);
  EXPECT_GT(created, 0);
}

TEST(Conv2D, SamePaddingPutsTheExtraOnBottomRight) {
  // 4x4 input, 3x3 window, stride 2: Keras pads 1 in total, all of it after, so the first window covers rows
  // and columns 0..2 (sum 45), not -1..1 (sum 10).
  Tensor x = Tensor::arange(16, f32).reshape({1, 4, 4, 1});
  Tensor w = Tensor::ones({3, 3, 1, 1});
  Tensor y = conv2d(x, w, Tensor(), {2, 2}, "same");
  EXPECT_EQ(y.shape(), Shape({1, 2, 2, 1}));
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{45, 39, 66, 50}));
}

TEST(Conv2D, OutputShapes) {
  Shape k{3, 3, 1, 8};
  EXPECT_EQ(conv2d_output_shape({-1, 28, 28, 1}, k, {}), Shape({-1, 26, 26, 8}));
  EXPECT_EQ(conv2d_output_shape({-1, 28, 28, 1}, k, {.padding = Padding::same}), Shape({-1, 28, 28, 8}));
  EXPECT_EQ(conv2d_output_shape({-1, 28, 28, 1}, k, {.strides = {2, 2}}), Shape({-1, 13, 13, 8}));
  EXPECT_EQ(conv2d_output_shape({-1, 28, 27, 1}, k, {.strides = {2, 2}, .padding = Padding::same}),
            Shape({-1, 14, 14, 8}));
  EXPECT_EQ(conv2d_output_shape({-1, 28, 28, 1}, k, {.dilation = {2, 3}}), Shape({-1, 24, 22, 8}));
  EXPECT_EQ(conv2d_output_shape({-1, 28, 28, 1}, k, {.padding = Padding::same, .dilation = {2, 2}}),
            Shape({-1, 28, 28, 8}));
}

TEST(Conv2D, ClearErrors) {
  Tensor x = Tensor::zeros({2, 5, 5, 3});
  testing::expect_error_contains<ShapeError>([&] { conv2d(x, Tensor::zeros({3, 3, 2, 4})); },
                                             {"(2, 5, 5, 3)", "(3, 3, 2, 4)", "channels"});
  testing::expect_error_contains<ShapeError>([&] { conv2d(x, Tensor::zeros({6, 6, 3, 4})); },
                                             {"(2, 5, 5, 3)", "(6, 6, 3, 4)", "valid"});
  testing::expect_error_contains<ShapeError>([&] { conv2d(Tensor::zeros({5, 5, 3}), Tensor::zeros({3, 3, 3, 4})); },
                                             {"rank 4", "(5, 5, 3)"});
  testing::expect_error_contains<ValueError>([&] { conv2d(x, Tensor::zeros({3, 3, 3, 4}), Tensor(), {1, 1}, "full"); },
                                             {"padding", "full"});
}

// The default path runs 3x3 stride-1 convolutions with channels in blocks of 16 as Winograd where oneDNN has
// those kernels (AVX-512), and leaves every other shape to the direct convolution.
TEST(Conv2D, WinogradWhereItPays) {
  kernels::set_conv_impl("");
  auto winograd_primitives = [](Shape xs, Shape ws, Conv2DArgs a) {
    int64_t before = kernels::conv_winograd_primitives_created();
    Tensor x = Tensor::ones(xs).requires_grad_(), w = Tensor::ones(ws).requires_grad_();
    Tensor b = Tensor::ones({ws[3]}).requires_grad_();
    conv2d(x, w, b, a).sum().backward();
    return kernels::conv_winograd_primitives_created() - before;
  };
  const int64_t fits = kernels::conv_winograd_available() ? 2 : 0;  // forward and weight gradient
  EXPECT_EQ(winograd_primitives({4, 9, 9, 16}, {3, 3, 16, 32}, {}), fits);
  EXPECT_EQ(winograd_primitives({4, 9, 9, 32}, {3, 3, 32, 16}, {{1, 1}, Padding::same}), fits);
  EXPECT_EQ(winograd_primitives({4, 9, 9, 1}, {3, 3, 1, 32}, {}), 0);    // one input channel
  EXPECT_EQ(winograd_primitives({4, 9, 9, 16}, {3, 3, 16, 8}, {}), 0);   // 8 output channels
  EXPECT_EQ(winograd_primitives({4, 9, 9, 16}, {3, 3, 16, 16}, {{2, 2}}), 0);  // stride 2: oneDNN refuses
}

TEST(Conv2DLayer, ShapesWeightsAndErrors) {
  auto conv = layers::Conv2D(16, {3, 5}, "relu", {.strides = 2, .padding = "same"});
  EXPECT_EQ(conv->compute_output_shape({Shape{-1, 28, 28, 3}}), Shape({-1, 14, 14, 16}));
  Tensor y = (*conv)(Tensor::ones({2, 28, 28, 3}));
  EXPECT_EQ(y.shape(), Shape({2, 14, 14, 16}));
  EXPECT_EQ(conv->kernel().shape(), Shape({3, 5, 3, 16}));
  EXPECT_EQ(conv->count_params(), 3 * 5 * 3 * 16 + 16);
  for (float v : y.to_vector<float>()) ASSERT_GE(v, 0.0f);  // relu applied
  testing::expect_error_contains<ShapeError>([&] { (*conv)(Tensor::ones({2, 28, 28, 1})); },
                                             {conv->name(), "Conv2D", "(None, height, width, 3)", "(2, 28, 28, 1)"});
  auto big = layers::Conv2D(4, 7);
  testing::expect_error_contains<ShapeError>([&] { big->compute_output_shape({Shape{-1, 5, 5, 1}}); },
                                             {"Conv2D", "(None, 5, 5, 1)", "(7, 7, 1, 4)"});
  testing::expect_error_contains<Error>([] { layers::Conv2D(4, 3, "", {.strides = 2, .dilation_rate = 2}); },
                                        {"dilation_rate"});
  testing::expect_error_contains<Error>([] { layers::Conv2D(4, 3, "", {.padding = "causal"}); }, {"causal"});
}

TEST(Conv2DLayer, LinearActivationAndNoBias) {
  auto conv = layers::Conv2D(2, 1, "", {.use_bias = false, .kernel_initializer = "ones"});
  Tensor x = Tensor::from_vector<float>({1, -2, 3, -4}, {1, 2, 1, 2});
  Tensor y = (*conv)(x);
  EXPECT_EQ(conv->weights().size(), 1u);
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{-1, -1, -1, -1}));
}

}  // namespace
}  // namespace nabla
