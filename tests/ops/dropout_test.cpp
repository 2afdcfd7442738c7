// Dropout's forward: the share of dropped elements, the scale of the kept ones, independence of the thread
// count, and fresh masks per call. (Its gradient is checked in gradcheck_test.cpp.)
#include "test_util.h"

namespace nabla {
namespace {

TEST(Dropout, DropsTheRateAndScalesTheRest) {
  const int64_t n = 1 << 20;
  for (double rate : {0.2, 0.5, 0.9}) {
    SCOPED_TRACE(rate);
    Generator g(3);
    Tensor x = Tensor::full({n}, 2.0f);
    Tensor y = dropout(x, rate, true, &g);
    const float* p = y.data<float>();
    int64_t dropped = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (p[i] == 0) {
        ++dropped;
      } else {
        ASSERT_FLOAT_EQ(p[i], float(2.0 / (1.0 - rate))) << "at " << i;
      }
    }
    // Binomial(n, rate): 5 standard deviations is ~0.2% of n here.
    EXPECT_NEAR(double(dropped) / double(n), rate, 5 * std::sqrt(rate * (1 - rate) / double(n)));
  }
}

TEST(Dropout, MaskIsIndependentOfThreadsAndFreshPerCall) {
  const int64_t n = 3 << 20;  // large enough for parallel_for to split it
  Tensor x = Tensor::ones({n});
  const int before = get_num_threads();
  set_num_threads(1);
  Generator g1(5);
  Tensor one = dropout(x, 0.5, true, &g1);
  set_num_threads(2);
  Generator g2(5);
  Tensor two = dropout(x, 0.5, true, &g2);
  Tensor next = dropout(x, 0.5, true, &g2);
  set_num_threads(before);
  EXPECT_EQ(std::memcmp(one.data<float>(), two.data<float>(), sizeof(float) * size_t(n)), 0);
  int64_t same = 0;
  for (int64_t i = 0; i < n; ++i) same += one.data<float>()[i] == next.data<float>()[i];
  EXPECT_NEAR(double(same) / double(n), 0.5, 0.01);  // two independent masks agree on half the elements
  // Neighbouring elements are not correlated: P(both kept) = 1/4.
  int64_t both = 0;
  for (int64_t i = 0; i + 1 < n; i += 2) both += one.data<float>()[i] != 0 && one.data<float>()[i + 1] != 0;
  EXPECT_NEAR(double(both) / double(n / 2), 0.25, 0.01);
}

TEST(Dropout, Float64MatchesFloat32Mask) {
  Tensor x = Tensor::ones({1000});
  Generator a(9), b(9);
  Tensor y32 = dropout(x, 0.3, true, &a);
  Tensor y64 = dropout(x.to(f64), 0.3, true, &b);
  for (int64_t i = 0; i < 1000; ++i) EXPECT_EQ(y32.data<float>()[i] == 0, y64.data<double>()[i] == 0) << i;
}

}  // namespace
}  // namespace nabla
