#include <cmath>
#include <limits>

#include "debug/debug_test_util.h"
#include "nabla/debug/check_numerics.h"

namespace nabla {
namespace {

using debug::NumericsError;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

TEST(CheckNumerics, PassesFiniteValuesThroughAndIsDifferentiable) {
  Tensor x = Tensor::from_vector(std::vector<float>{1, 2, 3}).requires_grad_();
  Tensor y = debug::check_numerics(x, "input");
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{1, 2, 3}));
  (y * 2.0).sum().backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{2, 2, 2}));
}

TEST(CheckNumerics, ReportsCountsFirstIndexAndFiniteStatistics) {
  Tensor x = Tensor::from_vector(std::vector<float>{1, 2, kNaN, 3, kInf, -kInf, kNaN, 6}, Shape{2, 4});
  try {
    debug::check_numerics(x, "logits after layer 3");
    FAIL() << "expected NumericsError";
  } catch (const NumericsError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("logits after layer 3"), std::string::npos) << m;
    EXPECT_NE(m.find("NaN: 2, +Inf: 1, -Inf: 1"), std::string::npos) << m;
    EXPECT_NE(m.find("first bad index: 2 [0, 2]"), std::string::npos) << m;
    EXPECT_NE(m.find("finite: 4 values in [1, 6], mean 3"), std::string::npos) << m;
    EXPECT_EQ(e.phase, "check");
  }
}

TEST(CheckNumerics, ChecksTheGradientInBackward) {
  Tensor x = Tensor::from_vector(std::vector<float>{0, 1}).requires_grad_();
  // sqrt's gradient at 0 is +Inf: the forward value is fine, the gradient flowing into check_numerics is not.
  Tensor y = sqrt(debug::check_numerics(sqrt(x), "hidden"));
  testing::expect_error_contains<NumericsError>([&] { y.sum().backward(); },
                                                {"hidden", "gradient", "+Inf: 1", "first bad index: 0"});
}

TEST(CheckNumerics, SummaryOfIntegerAndEmptyTensors) {
  auto s = debug::summarize(Tensor::from_vector(std::vector<int64_t>{3, -1, 4}));
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.min, -1);
  EXPECT_EQ(s.max, 4);
  EXPECT_EQ(debug::unravel(7, Shape{2, 4}), "[1, 3]");
  EXPECT_EQ(debug::summarize(Tensor::zeros({0})).str(Shape{0}), "no finite values");
}

}  // namespace
}  // namespace nabla
