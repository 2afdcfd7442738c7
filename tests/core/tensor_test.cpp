#include "test_util.h"

namespace nabla {
namespace {

TEST(Tensor, FactoriesAndViews) {
  Tensor t = Tensor::arange(12, f32).reshape({3, 4});
  EXPECT_EQ(t.shape(), Shape({3, 4}));
  Tensor row = t[1];
  EXPECT_TRUE(row.shares_storage(t));
  EXPECT_EQ(row.to_vector<float>(), (std::vector<float>{4, 5, 6, 7}));
  Tensor tt = t.t();
  EXPECT_FALSE(tt.is_contiguous());
  EXPECT_EQ(tt.contiguous().to_vector<float>()[1], 4.0f);
  Tensor s = t.slice(0, 1, 3);
  EXPECT_TRUE(s.shares_storage(t));
  EXPECT_EQ(s.shape(), Shape({2, 4}));
}

TEST(Tensor, BroadcastArithmetic) {
  Tensor a = Tensor::arange(6, f32).reshape({2, 3});
  Tensor b = Tensor::from_vector<float>({10, 20, 30});
  EXPECT_EQ((a + b).to_vector<float>(), (std::vector<float>{10, 21, 32, 13, 24, 35}));
  Tensor c = Tensor::from_vector<float>({1, 2}, {2, 1});
  EXPECT_EQ((a * c).to_vector<float>(), (std::vector<float>{0, 1, 2, 6, 8, 10}));
  testing::expect_error_contains<ShapeError>([&] { add(a, Tensor::zeros({4})); }, {"(2, 3)", "(4,)"});
}

TEST(Tensor, Reductions) {
  Tensor a = Tensor::arange(6, f64).reshape({2, 3});
  EXPECT_DOUBLE_EQ(a.sum().item(), 15);
  EXPECT_EQ(sum(a, {0}).to_vector<double>(), (std::vector<double>{3, 5, 7}));
  EXPECT_EQ(sum(a, {1}, true).shape(), Shape({2, 1}));
  EXPECT_EQ(argmax(a, 1).to_vector<int64_t>(), (std::vector<int64_t>{2, 2}));
}

TEST(Autograd, SimpleChain) {
  Tensor x = Tensor::from_vector<double>({1, 2, 3}).requires_grad_();
  Tensor y = (x * x * 3.0).sum();
  y.backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{6, 12, 18}));
}

TEST(Gradcheck, Ops) {
  using V = std::vector<Tensor>;
  testing::expect_gradcheck([](const V& v) { return v[0] * v[1] + v[0] / (v[1] * v[1] + 2.0); }, {{3, 4}, {4}});
  testing::expect_gradcheck([](const V& v) { return linear(v[0], v[1], v[2]); }, {{5, 3}, {3, 4}, {4}});
  testing::expect_gradcheck([](const V& v) { return linear(v[0], v[1], v[2], FusedActivation::relu); },
                            {{5, 3}, {3, 4}, {4}});
  testing::expect_gradcheck([](const V& v) { return softmax(v[0]); }, {{3, 5}});
  testing::expect_gradcheck([](const V& v) { return log_softmax(v[0]); }, {{3, 5}});
  testing::expect_gradcheck([](const V& v) {
    return sparse_softmax_cross_entropy(v[0], Tensor::from_vector<int64_t>({1, 0, 4}));
  }, {{3, 5}});
  testing::expect_gradcheck([](const V& v) { return matmul(v[0], v[1].t()); }, {{2, 3}, {4, 3}});
  testing::expect_gradcheck([](const V& v) { return concat({v[0], v[1]}, 1).sum(); }, {{2, 3}, {2, 2}});
  testing::expect_gradcheck([](const V& v) { return mean(v[0], {0}); }, {{3, 4}});
  testing::expect_gradcheck([](const V& v) { return max(v[0], 1); }, {{3, 4}});
}

TEST(Memory, CachingAllocatorReuses) {
  { Tensor a = Tensor::zeros({1000}); }
  reset_memory_counters();
  { Tensor a = Tensor::zeros({1000}); }
  EXPECT_EQ(memory_stats().system_allocs, 0u);
  EXPECT_GE(memory_stats().cache_hits, 1u);
}

// A dataset's one-off large copy goes back to the system when freed; a large buffer that recurs (a training step's
// activations) is cached from its second free on and then reused.
TEST(Memory, OneOffLargeBuffersGoBackToTheSystem) {
  empty_cache();
  const int64_t n = (int64_t(40) << 20) / 4 + 123;  // ~40 MiB, a size no other test uses
  { Tensor a = Tensor::zeros({n}); }
  EXPECT_EQ(memory_stats().bytes_cached, 0u);
  reset_memory_counters();
  { Tensor a = Tensor::zeros({n}); }  // the size recurs: now cached
  EXPECT_EQ(memory_stats().system_allocs, 1u);
  EXPECT_GT(memory_stats().bytes_cached, uint64_t(40) << 20);
  { Tensor a = Tensor::zeros({n}); }
  EXPECT_EQ(memory_stats().system_allocs, 1u);
  EXPECT_EQ(memory_stats().cache_hits, 1u);
  empty_cache();
}

TEST(Memory, CacheLimitIsKept) {
  empty_cache();
  const size_t old = get_cache_limit();
  std::vector<Tensor> live;
  for (int i = 0; i < 8; ++i) live.push_back(Tensor::zeros({int64_t(256) << 10}));  // 1 MiB each
  live.clear();
  EXPECT_GE(memory_stats().bytes_cached, size_t(8) << 20);
  reset_memory_counters();
  set_cache_limit(size_t(3) << 20);
  EXPECT_LE(memory_stats().bytes_cached, size_t(3) << 20);
  EXPECT_GE(memory_stats().system_frees, 5u);
  for (int i = 0; i < 8; ++i) live.push_back(Tensor::zeros({int64_t(256) << 10}));
  live.clear();
  EXPECT_LE(memory_stats().bytes_cached, size_t(3) << 20);
  set_cache_limit(old);
  EXPECT_EQ(get_cache_limit(), old);
  empty_cache();
}

}  // namespace
}  // namespace nabla
