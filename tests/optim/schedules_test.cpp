#include <cmath>
#include <numbers>

#include "test_util.h"

namespace nabla {
namespace {

TEST(Schedules, ExponentialDecay) {
  auto s = optim::ExponentialDecay(0.1, 10, 0.5);
  EXPECT_DOUBLE_EQ(s(0), 0.1);
  EXPECT_NEAR(s(5), 0.1 * std::sqrt(0.5), 1e-15);
  EXPECT_NEAR(s(20), 0.025, 1e-15);
  auto st = optim::ExponentialDecay(0.1, 10, 0.5, true);
  EXPECT_DOUBLE_EQ(st(9), 0.1);
  EXPECT_DOUBLE_EQ(st(15), 0.05);
  EXPECT_DOUBLE_EQ(optim::StepDecay(1.0, 3, 0.1)(7), 1.0 * 0.1 * 0.1);
  EXPECT_THROW(optim::ExponentialDecay(0.1, 0, 0.5), Error);
}

TEST(Schedules, PiecewiseConstantDecay) {
  auto s = optim::PiecewiseConstantDecay({10, 20}, {1.0, 0.5, 0.1});
  EXPECT_EQ(s(0), 1.0);
  EXPECT_EQ(s(10), 1.0);
  EXPECT_EQ(s(11), 0.5);
  EXPECT_EQ(s(20), 0.5);
  EXPECT_EQ(s(21), 0.1);
  EXPECT_EQ(s(100000), 0.1);
  testing::expect_error_contains<Error>([] { optim::PiecewiseConstantDecay({10, 20}, {1.0, 0.5}); },
                                        {"2 boundaries need 3 values"});
  EXPECT_THROW(optim::PiecewiseConstantDecay({20, 10}, {1, 2, 3}), Error);
}

TEST(Schedules, CosineDecayWithAndWithoutWarmup) {
  auto s = optim::CosineDecay(1.0, 100, 0.1);
  EXPECT_NEAR(s(0), 1.0, 1e-15);
  EXPECT_NEAR(s(50), 0.9 * 0.5 + 0.1, 1e-15);
  EXPECT_NEAR(s(25), 0.9 * 0.5 * (1 + std::cos(std::numbers::pi / 4)) + 0.1, 1e-15);
  EXPECT_NEAR(s(100), 0.1, 1e-15);
  EXPECT_NEAR(s(1000), 0.1, 1e-15);
  auto w = optim::CosineDecay(0.0, 100, 0.0, 1.0, 10);
  EXPECT_NEAR(w(0), 0.0, 1e-15);
  EXPECT_NEAR(w(5), 0.5, 1e-15);
  EXPECT_NEAR(w(10), 1.0, 1e-15);
  EXPECT_NEAR(w(60), 0.5, 1e-15);
  EXPECT_NEAR(w(110), 0.0, 1e-15);
  EXPECT_NEAR(w(500), 0.0, 1e-15);
}

TEST(Schedules, OptimizerUsesTheScheduleAtEachStep) {
  optim::SGDOptions o;
  o.schedule = optim::PiecewiseConstantDecay({0}, {1.0, 0.5});
  optim::SGD opt(o);
  Tensor p = Tensor::zeros({1}, f64);
  Tensor g = Tensor::ones({1}, f64);
  EXPECT_EQ(opt.learning_rate(), 1.0);
  opt.apply_gradients({g}, {p});  // step 0 at lr 1
  EXPECT_EQ(p.item(), -1.0);
  EXPECT_EQ(opt.learning_rate(), 0.5);
  opt.apply_gradients({g}, {p});  // step 1 at lr 0.5
  EXPECT_EQ(p.item(), -1.5);
  opt.set_learning_rate(0.25);  // a constant replaces the schedule (what ReduceLROnPlateau does)
  opt.apply_gradients({g}, {p});
  EXPECT_EQ(p.item(), -1.75);
}

}  // namespace
}  // namespace nabla
