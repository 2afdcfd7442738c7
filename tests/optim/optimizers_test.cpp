#include <cmath>

#include "test_util.h"

namespace nabla {
namespace {

// Runs `steps` updates of opt on a float64 parameter with a fixed gradient; returns the parameter after each.
std::vector<std::vector<double>> run(optim::Optimizer& opt, std::vector<double> p0, std::vector<double> g0,
                                     int steps) {
  Tensor p = Tensor::from_vector(p0);
  p.requires_grad_(true);
  Tensor g = Tensor::from_vector(g0);
  std::vector<std::vector<double>> out;
  for (int s = 0; s < steps; ++s) {
    opt.apply_gradients({g}, {p});
    out.push_back(p.to_vector<double>());
  }
  return out;
}

void expect_steps(const std::vector<std::vector<double>>& got, const std::vector<std::vector<double>>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t s = 0; s < got.size(); ++s)
    for (size_t i = 0; i < got[s].size(); ++i) EXPECT_NEAR(got[s][i], want[s][i], 1e-12) << "step " << s << " i " << i;
}

const std::vector<double> kP{1.0, -2.0, 0.5};
const std::vector<double> kG{0.5, -1.0, 0.0};

TEST(RMSprop, DefaultsMatchKeras) {
  optim::RMSprop opt;
  EXPECT_DOUBLE_EQ(opt.learning_rate(), 1e-3);
  EXPECT_EQ(optim::get("rmsprop")->name(), "RMSprop");
  auto got = run(opt, kP, kG, 3);
  // Step 1 by hand: v = 0.1 g^2, so the step is lr * g / sqrt(0.1 g^2 + eps) ~= lr / sqrt(0.1) per unit sign.
  EXPECT_NEAR(got[0][0], 1.0 - 1e-3 * 0.5 / std::sqrt(0.025 + 1e-7), 1e-15);
  EXPECT_NEAR(got[0][0], 1.0 - 0.0031622714, 1e-9);
  EXPECT_DOUBLE_EQ(got[0][2], 0.5);  // zero gradient: no move
  std::vector<std::vector<double>> want;
  std::vector<double> p = kP, v(3, 0);
  for (int s = 0; s < 3; ++s) {
    for (size_t i = 0; i < 3; ++i) {
      v[i] = 0.9 * v[i] + 0.1 * kG[i] * kG[i];
      p[i] -= 1e-3 * kG[i] / std::sqrt(v[i] + 1e-7);
    }
    want.push_back(p);
  }
  expect_steps(got, want);
}

TEST(RMSprop, CenteredWithMomentum) {
  optim::RMSpropOptions o;
  o.learning_rate = 0.01;
  o.rho = 0.8;
  o.momentum = 0.5;
  o.centered = true;
  optim::RMSprop opt(o);
  auto got = run(opt, kP, kG, 3);
  std::vector<std::vector<double>> want;
  std::vector<double> p = kP, v(3, 0), a(3, 0), m(3, 0);
  for (int s = 0; s < 3; ++s) {
    for (size_t i = 0; i < 3; ++i) {
      v[i] = 0.8 * v[i] + 0.2 * kG[i] * kG[i];
      a[i] = 0.8 * a[i] + 0.2 * kG[i];
      m[i] = 0.5 * m[i] + 0.01 * kG[i] / std::sqrt(v[i] - a[i] * a[i] + 1e-7);
      p[i] -= m[i];
    }
    want.push_back(p);
  }
  expect_steps(got, want);
  // Step 1 by hand for g = 0.5: v = 0.05, a = 0.1, denom = 0.04 + eps -> step ~= 0.01 * 0.5 / 0.2 = 0.025.
  EXPECT_NEAR(got[0][0], 1.0 - 0.025, 1e-6);
  // Its state per parameter, by Keras's names (the parameter has died with run(), and its state with it).
  EXPECT_EQ(opt.slot_names(), (std::vector<std::string>{"velocity", "momentum", "average_gradient"}));
  EXPECT_TRUE(opt.state_tensors().empty());
}

TEST(Adam, FirstStepsMatchKerasFormula) {
  optim::Adam opt(0.01);
  auto got = run(opt, kP, kG, 3);
  // Adam's first step moves every parameter with a nonzero gradient by ~lr.
  EXPECT_NEAR(got[0][0], 1.0 - 0.01, 1e-6);
  EXPECT_NEAR(got[0][1], -2.0 + 0.01, 1e-6);
  std::vector<std::vector<double>> want;
  std::vector<double> p = kP, m(3, 0), v(3, 0);
  for (int t = 1; t <= 3; ++t) {
    double alpha = 0.01 * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t));
    for (size_t i = 0; i < 3; ++i) {
      m[i] = 0.9 * m[i] + 0.1 * kG[i];
      v[i] = 0.999 * v[i] + 0.001 * kG[i] * kG[i];
      p[i] -= alpha * m[i] / (std::sqrt(v[i]) + 1e-7);
    }
    want.push_back(p);
  }
  expect_steps(got, want);
}

// Where a gradient stays zero, Adam's momentum decays by beta_1 each step. Left to IEEE rounding it would stop on
// a denormal (0.9 x a few ulps rounds back to the same value) and every later step would do arithmetic on it, which
// Intel cores run through microcode assists (W1 2.2x slower). Updates flush denormals to zero, as TensorFlow does.
TEST(Adam, DecayedStateReachesZeroInsteadOfStayingDenormal) {
  optim::Adam opt(0.001);
  const int64_t n = 4096;  // enough to be split over threads where there are several
  Tensor p = Tensor::from_vector(std::vector<float>(n, 0.5f));
  p.requires_grad_(true);
  opt.apply_gradients({Tensor::from_vector(std::vector<float>(n, 1e-3f))}, {p});
  Tensor zero = Tensor::from_vector(std::vector<float>(n, 0.0f));
  for (int s = 0; s < 1000; ++s) opt.apply_gradients({zero}, {p});  // m: 1e-4 * 0.9^1000 ~ 1e-50
  auto state = opt.variables_for(p);
  ASSERT_EQ(state.size(), 2u);
  for (const auto& [name, t] : state) {
    for (float x : t.to_vector<float>()) {
      ASSERT_NE(std::fpclassify(x), FP_SUBNORMAL) << name << " = " << x;
      if (name == "momentum") {
        ASSERT_EQ(x, 0.0f);
      }
    }
  }
  for (float x : p.to_vector<float>()) {
    ASSERT_NE(std::fpclassify(x), FP_SUBNORMAL);
  }
}

TEST(SGD, MomentumAndNesterov) {
  optim::SGD plain(0.1, 0.9);
  // v1 = -0.05, p1 = 0.95; v2 = -0.095, p2 = 0.855
  auto got = run(plain, {1.0}, {0.5}, 2);
  EXPECT_NEAR(got[0][0], 0.95, 1e-12);
  EXPECT_NEAR(got[1][0], 0.855, 1e-12);
  optim::SGD nest(0.1, 0.9, true);
  // v1 = -0.05, p1 = 1 + 0.9 * -0.05 - 0.05 = 0.905; v2 = -0.095, p2 = 0.905 - 0.0855 - 0.05 = 0.7695
  got = run(nest, {1.0}, {0.5}, 2);
  EXPECT_NEAR(got[0][0], 0.905, 1e-12);
  EXPECT_NEAR(got[1][0], 0.7695, 1e-12);
}

// With plain SGD at lr 1, each parameter moves by exactly minus its clipped gradient.
std::vector<std::vector<double>> clipped_step(optim::OptimizerOptions clip, std::vector<std::vector<double>> grads) {
  optim::SGDOptions o;
  o.learning_rate = 1.0;
  o.clipnorm = clip.clipnorm;
  o.clipvalue = clip.clipvalue;
  o.global_clipnorm = clip.global_clipnorm;
  optim::SGD opt(o);
  std::vector<Tensor> ps, gs;
  for (auto& g : grads) {
    ps.push_back(Tensor::zeros({int64_t(g.size())}, f64));
    gs.push_back(Tensor::from_vector(g));
  }
  opt.apply_gradients(gs, ps);
  std::vector<std::vector<double>> moved;
  for (auto& p : ps) {
    auto v = p.to_vector<double>();
    for (double& x : v) x = -x;
    moved.push_back(v);
  }
  return moved;
}

TEST(Clipping, ClipValueClipNormAndGlobalClipNorm) {
  optim::OptimizerOptions c;
  c.clipvalue = 0.5;
  auto m = clipped_step(c, {{2.0, -0.1, -3.0}});
  EXPECT_EQ(m[0], (std::vector<double>{0.5, -0.1, -0.5}));

  c = {};
  c.clipnorm = 1.0;  // per tensor: [3, 4] (norm 5) scales by 1/5, [0.3, 0.4] (norm 0.5) is untouched
  m = clipped_step(c, {{3.0, 4.0}, {0.3, 0.4}});
  EXPECT_NEAR(m[0][0], 0.6, 1e-12);
  EXPECT_NEAR(m[0][1], 0.8, 1e-12);
  EXPECT_NEAR(m[1][0], 0.3, 1e-12);
  EXPECT_NEAR(m[1][1], 0.4, 1e-12);

  c = {};
  c.global_clipnorm = 1.0;  // joint norm of [3, 4] and [0, 12] is 13: everything scales by 1/13
  m = clipped_step(c, {{3.0, 4.0}, {0.0, 12.0}});
  EXPECT_NEAR(m[0][0], 3.0 / 13, 1e-12);
  EXPECT_NEAR(m[0][1], 4.0 / 13, 1e-12);
  EXPECT_NEAR(m[1][1], 12.0 / 13, 1e-12);

  c = {};
  c.global_clipnorm = 100.0;  // under the limit: unchanged
  m = clipped_step(c, {{3.0, 4.0}});
  EXPECT_NEAR(m[0][1], 4.0, 1e-12);
}

TEST(Registry, KnowsEveryOptimizerAndNamesUnknownOnes) {
  for (const char* n : {"adam", "adamw", "sgd", "rmsprop"}) EXPECT_NE(optim::get(n), nullptr) << n;
  testing::expect_error_contains<ValueError>([] { optim::get("adagrd"); }, {"adagrd", "rmsprop"});
}

}  // namespace
}  // namespace nabla
