#include <algorithm>
#include <map>

#include "test_util.h"

namespace nabla {
namespace {

TEST(Randperm, IsAPermutationReproducibleForASeed) {
  Generator g(11);
  Tensor p = randperm(1000, g);
  EXPECT_EQ(p.dtype(), i64);
  EXPECT_EQ(p.shape(), Shape({1000}));
  std::vector<int64_t> v = p.to_vector<int64_t>();
  std::vector<int64_t> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, Tensor::arange(1000).to_vector<int64_t>());
  EXPECT_NE(v, sorted);
  Generator g2(11);
  EXPECT_EQ(randperm(1000, g2).to_vector<int64_t>(), v);
  EXPECT_NE(randperm(1000, g2).to_vector<int64_t>(), v);  // the generator moved on
  // The default generator follows manual_seed.
  manual_seed(5);
  std::vector<int64_t> a = randperm(50).to_vector<int64_t>();
  manual_seed(5);
  EXPECT_EQ(randperm(50).to_vector<int64_t>(), a);
  EXPECT_EQ(randperm(0).numel(), 0);
  EXPECT_EQ(randperm(1).to_vector<int64_t>(), std::vector<int64_t>{0});
  EXPECT_THROW(randperm(-1), ValueError);
}

TEST(Randperm, EveryOrderIsEquallyLikely) {
  // 24000 permutations of 4: each of the 24 orders should appear about 1000 times (sd ~31); a biased shuffle
  // (e.g. swapping with any position instead of a not-yet-placed one) misses by hundreds.
  Generator g(3);
  std::map<std::vector<int64_t>, int> counts;
  for (int i = 0; i < 24000; ++i) ++counts[randperm(4, g).to_vector<int64_t>()];
  EXPECT_EQ(counts.size(), 24u);
  for (const auto& [order, c] : counts) EXPECT_NEAR(c, 1000, 150);
}

}  // namespace
}  // namespace nabla
