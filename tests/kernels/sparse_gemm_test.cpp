// Zero skipping (kernels/sparse_gemm.h) against oneDNN's dense GEMM on the same operands: the shapes Dense's
// forward and kernel gradient use, odd sizes, the fused epilogue, NaN and Inf, thread counts, and the fallback.
#include "nabla/kernels/sparse_gemm.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "nabla/kernels/gemm.h"
#include "test_util.h"

namespace nabla {
namespace {

using kernels::FusedActivation;

// Values in [0.1, 1) at about `density` of the places, zeros elsewhere.
Tensor sparse(const Shape& s, double density, uint64_t seed) {
  Generator g(seed);
  Tensor t = Tensor::uniform(s, 0.1, 1, f32, &g);
  Tensor keep = Tensor::uniform(s, 0, 1, f32, &g);
  float* p = t.data<float>();
  const float* k = keep.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i)
    if (k[i] >= density) p[i] = 0.0f;
  return t;
}

struct Case {
  int64_t m, k, n;
  bool trans_a;
  double density;
};

Tensor run_gemm(const Tensor& a, bool trans_a, const Tensor& b, const Tensor& bias, FusedActivation act,
                const Tensor& c0, bool skip) {
  kernels::set_zero_skipping(skip);
  Tensor c = c0.defined() ? c0.clone() : Tensor::empty({trans_a ? a.size(1) : a.size(0), b.size(1)});
  kernels::gemm(a, trans_a, b, false, c, bias, act, c0.defined());
  kernels::set_zero_skipping(true);
  return c;
}

void expect_close(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const float* g = got.data<float>();
  const float* w = want.data<float>();
  for (int64_t i = 0; i < got.numel(); ++i)
    ASSERT_NEAR(g[i], w[i], 1e-5f * (1.0f + std::fabs(w[i]))) << what << " at flat index " << i;
}

class ZeroSkipping : public ::testing::TestWithParam<CpuIsa> {  // the parameter: which kernels run
 protected:
  void SetUp() override {
    if (kernels::detail::limit_zero_skipping_isa(GetParam()) != GetParam())
      GTEST_SKIP() << "this CPU (or NABLA_MAX_CPU_ISA) has no " << cpu_isa_name(GetParam());
  }
  void TearDown() override { kernels::detail::limit_zero_skipping_isa(cpu_isa()); }
};

TEST_P(ZeroSkipping, MatchesDenseGemmOverShapesAndEpilogues) {
  const Case cases[] = {
      {32, 784, 128, false, 0.19},  // Dense(128) forward on an MNIST batch
      {784, 32, 128, true, 0.19},   // its kernel gradient x^T g
      {256, 784, 128, false, 0.1},  // batch-256 inference (split over threads)
      {1, 784, 128, false, 0.2},    // batch-1 inference
      {5, 300, 70, false, 0.25},    // n with a 64-wide block, an 8-wide one and a scalar tail
      {37, 129, 20, true, 0.05},    // odd sizes, transposed, 8x8 transpose edges
      {300, 17, 16, true, 0.3},
      {64, 1000, 130, false, 0.0},  // all zeros: C is the epilogue alone
  };
  uint64_t seed = 10;
  for (const Case& cs : cases) {
    Tensor a = cs.trans_a ? sparse({cs.k, cs.m}, cs.density, seed++) : sparse({cs.m, cs.k}, cs.density, seed++);
    Generator g(seed++);
    Tensor b = Tensor::uniform({cs.k, cs.n}, -1, 1, f32, &g);
    Tensor bias = Tensor::uniform({cs.n}, -1, 1, f32, &g);
    Tensor c0 = Tensor::uniform({cs.m, cs.n}, -1, 1, f32, &g);
    const std::string what = std::to_string(cs.m) + "x" + std::to_string(cs.k) + "x" + std::to_string(cs.n) +
                             (cs.trans_a ? " A^T" : "");
    expect_close(run_gemm(a, cs.trans_a, b, Tensor(), FusedActivation::none, Tensor(), true),
                 run_gemm(a, cs.trans_a, b, Tensor(), FusedActivation::none, Tensor(), false), what);
    expect_close(run_gemm(a, cs.trans_a, b, bias, FusedActivation::relu, Tensor(), true),
                 run_gemm(a, cs.trans_a, b, bias, FusedActivation::relu, Tensor(), false), what + " bias+relu");
    expect_close(run_gemm(a, cs.trans_a, b, bias, FusedActivation::none, c0, true),
                 run_gemm(a, cs.trans_a, b, bias, FusedActivation::none, c0, false), what + " accumulate");
  }
}

TEST_P(ZeroSkipping, TakesSparseOperandsAndLeavesDenseOnesToOneDnn) {
  Generator g(1);
  Tensor b = Tensor::uniform({784, 128}, -1, 1, f32, &g);
  Tensor c = Tensor::full({32, 128}, 7);
  Tensor a = sparse({32, 784}, 0.19, 2);
  EXPECT_TRUE(kernels::gemm_skipping_zeros(a.data<float>(), 32, 784, 784, 1, b.data<float>(), 128, c.data<float>(), 128,
                                           nullptr, false, false));
  Tensor dense = sparse({32, 784}, 0.6, 3);
  Tensor c2 = Tensor::full({32, 128}, 7);
  EXPECT_FALSE(kernels::gemm_skipping_zeros(dense.data<float>(), 32, 784, 784, 1, b.data<float>(), 128,
                                            c2.data<float>(), 128, nullptr, false, false));
  for (int64_t i = 0; i < c2.numel(); ++i) ASSERT_EQ(c2.data<float>()[i], 7.0f) << "a refused case wrote C";
  // Dense only in its last rows: the whole matrix is over budget, so nothing may be written either.
  Tensor late = sparse({32, 784}, 0.0, 4);
  Tensor tail = sparse({12, 784}, 1.0, 5);
  std::copy(tail.data<float>(), tail.data<float>() + tail.numel(), late.data<float>() + 20 * 784);
  EXPECT_FALSE(kernels::gemm_skipping_zeros(late.data<float>(), 32, 784, 784, 1, b.data<float>(), 128,
                                            c2.data<float>(), 128, nullptr, false, false));
  for (int64_t i = 0; i < c2.numel(); ++i) ASSERT_EQ(c2.data<float>()[i], 7.0f) << "a refused case wrote C";
  kernels::set_zero_skipping(false);
  EXPECT_FALSE(kernels::gemm_skipping_zeros(a.data<float>(), 32, 784, 784, 1, b.data<float>(), 128, c.data<float>(),
                                            128, nullptr, false, false));
  kernels::set_zero_skipping(true);
}

TEST_P(ZeroSkipping, NaNAndInfInAPropagateAndReluKeepsNaN) {
  Tensor a = sparse({4, 784}, 0.2, 6);  // 4x784x32: large enough for gemm to try zero skipping
  a.data<float>()[3] = std::numeric_limits<float>::quiet_NaN();      // row 0
  a.data<float>()[784 + 5] = std::numeric_limits<float>::infinity();  // row 1
  Tensor b = Tensor::ones({784, 32});
  b.data<float>()[5 * 32] = -1.0f;  // row 1's Inf meets a -1 in column 0: -Inf there, relu gives 0
  Tensor c = run_gemm(a, false, b, Tensor(), FusedActivation::relu, Tensor(), true);
  for (int64_t j = 0; j < 32; ++j) EXPECT_TRUE(std::isnan(c.data<float>()[j])) << "row 0 column " << j;
  EXPECT_EQ(c.data<float>()[32], 0.0f);
  for (int64_t j = 1; j < 32; ++j) EXPECT_TRUE(std::isinf(c.data<float>()[32 + j])) << "row 1 column " << j;
  for (int64_t i = 2 * 32; i < c.numel(); ++i) EXPECT_TRUE(std::isfinite(c.data<float>()[i]));
}

TEST_P(ZeroSkipping, SameBitsAtEveryThreadCount) {
  Tensor a = sparse({256, 784}, 0.19, 7);
  Tensor x = sparse({64, 784}, 0.19, 8);
  Generator g(9);
  Tensor b = Tensor::uniform({784, 128}, -1, 1, f32, &g);
  Tensor gy = Tensor::uniform({64, 128}, -1, 1, f32, &g);
  const int before = get_num_threads();
  set_num_threads(1);
  Tensor f1 = run_gemm(a, false, b, Tensor(), FusedActivation::none, Tensor(), true);
  Tensor t1 = run_gemm(x, true, gy, Tensor(), FusedActivation::none, Tensor(), true);
  set_num_threads(4);
  Tensor f4 = run_gemm(a, false, b, Tensor(), FusedActivation::none, Tensor(), true);
  Tensor t4 = run_gemm(x, true, gy, Tensor(), FusedActivation::none, Tensor(), true);
  set_num_threads(before);
  EXPECT_EQ(std::memcmp(f1.data<float>(), f4.data<float>(), size_t(f1.nbytes())), 0);
  EXPECT_EQ(std::memcmp(t1.data<float>(), t4.data<float>(), size_t(t1.nbytes())), 0);
}

// Strided operands as views hand them over: B = a column of a wider matrix, read transposed (k = 1, column stride
// 300), and A = the first 784 columns of wider rows.
TEST_P(ZeroSkipping, StridedViewsMatchDenseGemm) {
  Generator g(21);
  Tensor wide = Tensor::uniform({128, 300}, -1, 1, f32, &g);
  Tensor col = slice(wide, 1, 7, 8);  // [128, 1], strides (300, 1)
  Tensor a1 = sparse({600, 1}, 0.2, 22);
  expect_close(run_gemm(a1, false, col.t(), Tensor(), FusedActivation::none, Tensor(), true),
               run_gemm(a1, false, col.t(), Tensor(), FusedActivation::none, Tensor(), false), "k = 1, strided B");
  Tensor rows = slice(sparse({32, 800}, 0.19, 23), 1, 0, 784);  // [32, 784], row stride 800
  Tensor b = Tensor::uniform({784, 128}, -1, 1, f32, &g);
  expect_close(run_gemm(rows, false, b, Tensor(), FusedActivation::none, Tensor(), true),
               run_gemm(rows, false, b, Tensor(), FusedActivation::none, Tensor(), false), "row-strided A");
}

INSTANTIATE_TEST_SUITE_P(Kernels, ZeroSkipping, ::testing::Values(CpuIsa::avx512, CpuIsa::avx2, CpuIsa::portable),
                         [](const ::testing::TestParamInfo<CpuIsa>& i) { return cpu_isa_name(i.param); });

// The AVX2 and AVX-512 kernels compute each C element as the same chain of FMAs, so an AVX2 machine and an
// AVX-512 one train to the same bits (the portable kernels round each product and sum apart: not compared). n = 150 takes the AVX-512 kernels through their 128-wide block, a 16-wide one and the
// AVX2 tail; k = 201 leaves a tail after both vector widths of the non-zero listing.
TEST(ZeroSkippingLevels, Avx2AndAvx512GiveTheSameBits) {
  Tensor a = sparse({40, 201}, 0.2, 30);
  Tensor x = sparse({37, 201}, 0.2, 31);
  Generator g(32);
  Tensor b = Tensor::uniform({201, 150}, -1, 1, f32, &g);
  Tensor gy = Tensor::uniform({37, 150}, -1, 1, f32, &g);
  Tensor bias = Tensor::uniform({150}, -1, 1, f32, &g);
  std::vector<std::pair<Tensor, Tensor>> results;
  std::vector<CpuIsa> levels;
  for (CpuIsa isa : {CpuIsa::avx2, CpuIsa::avx512}) {
    if (kernels::detail::limit_zero_skipping_isa(isa) != isa) continue;
    levels.push_back(isa);
    results.emplace_back(run_gemm(a, false, b, bias, FusedActivation::relu, Tensor(), true),
                         run_gemm(x, true, gy, Tensor(), FusedActivation::none, Tensor(), true));
  }
  kernels::detail::limit_zero_skipping_isa(cpu_isa());
  if (results.size() < 2) GTEST_SKIP() << "this CPU (or NABLA_MAX_CPU_ISA) has no AVX-512";
  for (size_t i = 1; i < results.size(); ++i) {
    for (int which = 0; which < 2; ++which) {
      const Tensor& want = which ? results[0].second : results[0].first;
      const Tensor& got = which ? results[i].second : results[i].first;
      ASSERT_EQ(got.shape(), want.shape());
      for (int64_t e = 0; e < got.numel(); ++e)
        ASSERT_EQ(std::bit_cast<uint32_t>(got.data<float>()[e]), std::bit_cast<uint32_t>(want.data<float>()[e]))
            << cpu_isa_name(levels[i]) << " vs " << cpu_isa_name(levels[0]) << (which ? " x^T g" : " x W")
            << " at flat index " << e;
    }
  }
}

// The reference MLP trained with and without zero skipping ends at the same loss (the sums differ in rounding only).
TEST(ZeroSkippingTraining, MnistLikeFitMatchesDenseRun) {
  auto train = [](bool skip) {
    kernels::set_zero_skipping(skip);
    manual_seed(5);
    Sequential model({layers::Flatten({28, 28}), layers::Dense(64, "relu"), layers::Dense(10, "softmax")});
    model.compile("adam", "sparse_categorical_crossentropy");
    Tensor x = sparse({512, 28, 28}, 0.19, 11);
    Generator g(12);
    Tensor y = (Tensor::uniform({512}, 0, 10, f32, &g)).to(u8);
    History h = model.fit(x, y, {.epochs = 2, .batch_size = 32, .verbose = 0, .shuffle = false});
    kernels::set_zero_skipping(true);
    return h.history.at("loss").back();
  };
  const double with = train(true), without = train(false);
  EXPECT_NEAR(with, without, 1e-4 * std::fabs(without));
}

}  // namespace
}  // namespace nabla
