// Optimizer state belongs to each parameter (not to a position in the list given to step), and is named and
// ordered as Keras names and saves it.
#include <cmath>

#include "test_util.h"

namespace nabla {
namespace {

// Adam's m and v by hand, per parameter: each is updated only at the steps that include its parameter; the
// bias correction uses the optimizer's iteration count (Keras's rule).
struct AdamByHand {
  std::vector<double> p, m, v;
  void step(const std::vector<double>& g, int64_t t, double lr = 0.01) {
    const double b1 = 0.9, b2 = 0.999, eps = 1e-7;
    double alpha = lr * std::sqrt(1 - std::pow(b2, double(t))) / (1 - std::pow(b1, double(t)));
    for (size_t i = 0; i < p.size(); ++i) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      p[i] -= alpha * m[i] / (std::sqrt(v[i]) + eps);
    }
  }
};

void expect_state(optim::Optimizer& opt, const Tensor& p, const AdamByHand& want, const char* what) {
  auto vars = opt.variables_for(p);
  ASSERT_EQ(vars.size(), 2u) << what;
  auto m = vars[0].second.to_vector<double>(), v = vars[1].second.to_vector<double>(), pv = p.to_vector<double>();
  for (size_t i = 0; i < want.p.size(); ++i) {
    EXPECT_NEAR(m[i], want.m[i], 1e-14) << what << " m[" << i << "]";
    EXPECT_NEAR(v[i], want.v[i], 1e-14) << what << " v[" << i << "]";
    EXPECT_NEAR(pv[i], want.p[i], 1e-14) << what << " p[" << i << "]";
  }
}

TEST(OptimizerState, AdamStateFollowsItsParameterAcrossFreezeReorderAndNewParameters) {
  optim::Adam opt(0.01);
  Tensor a = Tensor::from_vector<double>({1.0, -2.0}), b = Tensor::from_vector<double>({0.5, 0.25, 3.0});
  Tensor c = Tensor::from_vector<double>({-1.0});
  AdamByHand ha{{1.0, -2.0}, {0, 0}, {0, 0}}, hb{{0.5, 0.25, 3.0}, {0, 0, 0}, {0, 0, 0}}, hc{{-1.0}, {0}, {0}};
  auto ga = Tensor::from_vector<double>({0.3, -0.7}), gb = Tensor::from_vector<double>({1.0, -0.5, 0.25});
  auto gc = Tensor::from_vector<double>({2.0});
  int64_t t = 0;
  // Both trainable.
  for (int s = 0; s < 2; ++s) {
    opt.apply_gradients({ga, gb}, {a, b});
    ++t;
    ha.step(ga.to_vector<double>(), t);
    hb.step(gb.to_vector<double>(), t);
  }
  // a frozen: only b steps (b now at position 0 of the list).
  for (int s = 0; s < 3; ++s) {
    opt.apply_gradients({gb}, {b});
    ++t;
    hb.step(gb.to_vector<double>(), t);
  }
  expect_state(opt, a, ha, "frozen a");
  expect_state(opt, b, hb, "b while a was frozen");
  // Unfrozen, in the other order, with a new parameter in front.
  opt.apply_gradients({gc, gb, ga}, {c, b, a});
  ++t;
  hc.step(gc.to_vector<double>(), t);
  hb.step(gb.to_vector<double>(), t);
  ha.step(ga.to_vector<double>(), t);
  expect_state(opt, a, ha, "a after unfreezing");
  expect_state(opt, b, hb, "b");
  expect_state(opt, c, hc, "new c");
  EXPECT_EQ(opt.iterations(), t);
}

TEST(OptimizerState, StateOfADeadParameterIsNotInheritedByANewOne) {
  optim::SGD opt(0.1, 0.9);
  Tensor g = Tensor::from_vector<float>({1.0f});
  {
    Tensor p = Tensor::from_vector<float>({0.0f});
    opt.apply_gradients({g}, {p});
    ASSERT_EQ(opt.variables_for(p).size(), 1u);
  }
  // New tensors, possibly at the dead one's address: each starts with zero momentum.
  for (int i = 0; i < 4; ++i) {
    Tensor q = Tensor::from_vector<float>({0.0f});
    EXPECT_TRUE(opt.variables_for(q).empty());
    opt.apply_gradients({g}, {q});
    EXPECT_FLOAT_EQ(q.to_vector<float>()[0], -0.1f);  // v = -lr g from zero: no momentum carried over
  }
}

TEST(OptimizerVariables, KerasNamesAndOrder) {
  Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({3});
  {
    optim::AdamOptions o;
    o.amsgrad = true;
    optim::Adam adam(o);
    auto vars = adam.variables({a, b});
    std::vector<std::string> names;
    for (auto& [n, t] : vars) names.push_back(n);
    EXPECT_EQ(names, (std::vector<std::string>{"iteration", "learning_rate", "momentum", "velocity", "momentum",
                                               "velocity", "velocity_hat", "velocity_hat"}));
    EXPECT_EQ(vars[2].second.shape(), a.shape());
    EXPECT_EQ(vars[4].second.shape(), b.shape());
    EXPECT_EQ(vars[7].second.shape(), b.shape());
    EXPECT_EQ(adam.state_tensors().size(), 6u);
  }
  {
    optim::RMSpropOptions o;
    o.momentum = 0.5;
    o.centered = true;
    optim::RMSprop rms(o);
    std::vector<std::string> names;
    for (auto& [n, t] : rms.variables({a, b})) names.push_back(n);
    EXPECT_EQ(names, (std::vector<std::string>{"iteration", "learning_rate", "velocity", "velocity", "momentum",
                                               "momentum", "average_gradient", "average_gradient"}));
  }
  {
    optim::SGD plain(0.1);
    EXPECT_EQ(plain.variables({a, b}).size(), 2u);  // no momentum: no slots
    optim::SGDOptions o;
    o.momentum = 0.9;
    o.schedule = [](int64_t) { return 0.1; };
    optim::SGD sched(o);
    auto vars = sched.variables({a, b});
    ASSERT_EQ(vars.size(), 3u);  // a schedule is not a variable
    EXPECT_EQ(vars[0].first, "iteration");
    EXPECT_EQ(vars[1].first, "momentum");
  }
}

TEST(OptimizerVariables, SetVariablesRestoresAStepExactly) {
  Tensor g = Tensor::from_vector<double>({0.3, -0.7});
  auto run = [&](optim::Optimizer& opt, Tensor p, int steps) {
    for (int s = 0; s < steps; ++s) opt.apply_gradients({g}, {p});
  };
  optim::Adam first(0.01);
  Tensor p = Tensor::from_vector<double>({1.0, 2.0});
  run(first, p, 3);
  std::vector<Tensor> saved;
  for (auto& [n, t] : first.variables({p})) saved.push_back(t.clone());
  Tensor p_saved = p.clone();
  run(first, p, 2);

  optim::Adam second(0.5);  // a different rate: restored from the saved learning_rate
  Tensor q = p_saved.clone();
  second.set_variables({q}, saved);
  EXPECT_EQ(second.iterations(), 3);
  EXPECT_DOUBLE_EQ(second.learning_rate(), double(float(0.01)));
  second.set_learning_rate(0.01);  // the float32 copy of 0.01 differs from the double in the last bits
  run(second, q, 2);
  auto want = p.to_vector<double>(), got = q.to_vector<double>();
  for (size_t i = 0; i < want.size(); ++i) EXPECT_DOUBLE_EQ(got[i], want[i]);
  testing::expect_error_contains([&] { second.set_variables({q}, {saved[0]}); }, {"1 values", "4 variables"});
}

}  // namespace
}  // namespace nabla
