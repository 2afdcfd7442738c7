#include <algorithm>

#include "data_test_util.h"
#include "test_util.h"

namespace nabla::data {
using namespace nabla::testing;

TEST(DataShuffle, IsAPermutationAndSeeded) {
  auto v = values(Dataset::range(100).shuffle(10, 7));
  auto s = v;
  std::sort(s.begin(), s.end());
  EXPECT_EQ(s, iota(0, 100));
  EXPECT_NE(v, iota(0, 100));
  EXPECT_EQ(values(Dataset::range(100).shuffle(10, 7)), v);  // same seed, same order
  EXPECT_NE(values(Dataset::range(100).shuffle(10, 8)), v);
}

TEST(DataShuffle, ElementMovesAtMostBufferSizeAhead) {
  const int64_t n = 500, buf = 16;
  for (uint64_t seed = 0; seed < 5; ++seed) {
    auto v = values(Dataset::range(n).shuffle(buf, seed));
    for (int64_t pos = 0; pos < n; ++pos) EXPECT_GE(pos, v[size_t(pos)] - (buf - 1)) << "element " << v[size_t(pos)];
  }
  // Buffer 1 is no shuffle at all.
  EXPECT_EQ(values(Dataset::range(20).shuffle(1, 3)), iota(0, 20));
}

TEST(DataShuffle, FirstOutputIsUniformOverTheBuffer) {
  // Over many seeds, the first output is drawn uniformly from the first buffer_size inputs.
  const int64_t buf = 8;
  std::vector<int> count(buf, 0);
  for (uint64_t seed = 0; seed < 800; ++seed) {
    auto it = Dataset::range(50).shuffle(buf, seed).make_iterator();
    int64_t first = int64_t(it.next()->at(0).item());
    ASSERT_LT(first, buf);
    ++count[size_t(first)];
  }
  for (int c : count) {
    EXPECT_GT(c, 50);  // expected 100 each
    EXPECT_LT(c, 160);
  }
}

TEST(DataShuffle, ReshuffleEachIterationAndEpochBoundaries) {
  auto ds = Dataset::range(20).shuffle(20, 11);
  auto a = values(ds), b = values(ds);
  EXPECT_NE(a, b);  // a new order each pass
  auto fixed = Dataset::range(20).shuffle(20, 11, false);
  EXPECT_EQ(values(fixed), values(fixed));
  // shuffle then repeat: every epoch is a full permutation (epochs do not mix) and epochs differ.
  auto v = values(Dataset::range(20).shuffle(5, 3).repeat(3));
  ASSERT_EQ(v.size(), 60u);
  std::vector<std::vector<int64_t>> epochs;
  for (int e = 0; e < 3; ++e) {
    std::vector<int64_t> ep(v.begin() + e * 20, v.begin() + (e + 1) * 20);
    epochs.push_back(ep);
    std::sort(ep.begin(), ep.end());
    EXPECT_EQ(ep, iota(0, 20));
  }
  EXPECT_NE(epochs[0], epochs[1]);
  // repeat then shuffle: the buffer spans the boundary, so epochs mix.
  auto m = values(Dataset::range(20).repeat(3).shuffle(30, 3));
  std::vector<int64_t> first(m.begin(), m.begin() + 20);
  std::sort(first.begin(), first.end());
  EXPECT_NE(first, iota(0, 20));
}

TEST(DataShuffle, UnseededShuffleFollowsManualSeed) {
  manual_seed(123);
  auto a = values(Dataset::range(50).shuffle(50));
  manual_seed(123);
  auto b = values(Dataset::range(50).shuffle(50));
  EXPECT_EQ(a, b);
}

TEST(DataFastPath, SliceShuffleBatchGathersTheSameOrderAsThePipeline) {
  Tensor x = Tensor::arange(2 * 103).reshape({103, 2});
  Tensor y = Tensor::arange(103).to(f32);
  auto fast = Dataset::from_tensor_slices(x, y).shuffle(17, 9).batch(10);
  // An identity map hides the pattern, forcing the element-by-element pipeline.
  auto slow = Dataset::from_tensor_slices(x, y).map([](Element e) { return e; }).shuffle(17, 9).batch(10);
  auto fi = fast.make_iterator();
  auto si = slow.make_iterator();
  int batches = 0;
  for (;;) {
    auto f = fi.next();
    auto s = si.next();
    ASSERT_EQ(bool(f), bool(s));
    if (!f) break;
    ++batches;
    EXPECT_EQ((*f)[0].to_vector<int64_t>(), (*s)[0].to_vector<int64_t>());
    EXPECT_EQ((*f)[1].to_vector<float>(), (*s)[1].to_vector<float>());
  }
  EXPECT_EQ(batches, 11);
  auto st = fi.stats().str();
  EXPECT_NE(st.find("fast gather"), std::string::npos) << st;
  // Second passes reshuffle identically on both paths too.
  EXPECT_EQ(rows(fast), rows(slow));
}

TEST(DataFastPath, UnshuffledBatchesAreViewsAndDropRemainderWorks) {
  Tensor x = Tensor::arange(10);
  auto it = Dataset::from_tensor_slices(x).batch(4).make_iterator();
  auto e = it.next();
  EXPECT_TRUE((*e)[0].shares_storage(x));
  EXPECT_EQ(rows(Dataset::from_tensor_slices(x).batch(4)).back(), (std::vector<int64_t>{8, 9}));
  EXPECT_EQ(rows(Dataset::from_tensor_slices(x).batch(4, true)).size(), 2u);
  EXPECT_EQ(rows(Dataset::from_tensor_slices(x).shuffle(4, 1).batch(4, true)).size(), 2u);
}

}  // namespace nabla::data
