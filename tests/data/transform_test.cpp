#include <set>

#include "data_test_util.h"
#include "test_util.h"

namespace nabla::data {
using namespace nabla::testing;

namespace {
Element plus(const Element& e, int64_t k) { return {Tensor::scalar(e[0].item() + double(k), i64)}; }
}  // namespace

TEST(DataTransform, MapAndFilter) {
  auto ds = Dataset::range(10).map([](Element e) { return plus(e, 100); }).filter([](const Element& e) {
    return int64_t(e[0].item()) % 2 == 0;
  });
  EXPECT_EQ(values(ds), (std::vector<int64_t>{100, 102, 104, 106, 108}));
  EXPECT_EQ(ds.cardinality(), UNKNOWN_CARDINALITY);
}

TEST(DataTransform, MapRunsWithoutGradRecording) {
  Tensor w = Tensor::ones({2}).requires_grad_();
  auto ds = Dataset::range(2).map([w](Element e) {
    return Element{w * e[0].to(f32)};
  });
  auto it = ds.make_iterator();
  auto e = it.next();
  ASSERT_TRUE(e);
  EXPECT_FALSE((*e)[0].requires_grad());
}

TEST(DataTransform, BatchKeepsOrDropsRemainder) {
  auto b = rows(Dataset::range(7).batch(3));
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0], (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(b[2], (std::vector<int64_t>{6}));
  EXPECT_EQ(Dataset::range(7).batch(3).cardinality(), 3);
  auto d = rows(Dataset::range(7).batch(3, true));
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[1], (std::vector<int64_t>{3, 4, 5}));
  EXPECT_EQ(Dataset::range(7).batch(3, true).cardinality(), 2);
}

TEST(DataTransform, BatchStacksEveryComponentWithNewAxis) {
  Tensor x = Tensor::arange(20).reshape({10, 2}).to(f32);
  auto ds = Dataset::from_tensor_slices(x, Tensor::arange(10)).map([](Element e) { return e; }).batch(4);
  auto it = ds.make_iterator();
  auto e = it.next();
  ASSERT_TRUE(e);
  EXPECT_EQ((*e)[0].shape(), Shape({4, 2}));
  EXPECT_EQ((*e)[1].shape(), Shape({4}));
  expect_close((*e)[0], x.slice(0, 0, 4));
}

TEST(DataTransform, BatchRejectsRaggedElements) {
  auto ds = Dataset::range(1, 4).map([](Element e) { return Element{Tensor::zeros({int64_t(e[0].item())})}; });
  expect_error_contains([&] { ds.batch(3).make_iterator().next(); }, {"element 1", "(2,)", "padded_batch"});
}

TEST(DataTransform, PaddedBatchPadsToLongestOrGivenShape) {
  auto ds = Dataset::range(1, 4).map([](Element e) {
    int64_t n = int64_t(e[0].item());
    return Element{Tensor::full({n}, double(n), i64)};
  });
  auto b = rows(ds.padded_batch(3, {}, {-1.0}));
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0], (std::vector<int64_t>{1, -1, -1, 2, 2, -1, 3, 3, 3}));
  auto it = ds.padded_batch(2, {Shape{5}}).make_iterator();
  auto e = it.next();
  EXPECT_EQ((*e)[0].shape(), Shape({2, 5}));
  EXPECT_EQ((*e)[0].to_vector<int64_t>(), (std::vector<int64_t>{1, 0, 0, 0, 0, 2, 2, 0, 0, 0}));
  expect_error_contains([&] { ds.padded_batch(3, {Shape{2}}).make_iterator().next(); }, {"larger than the padded"});
}

TEST(DataTransform, UnbatchAndRebatch) {
  auto ds = Dataset::range(10).batch(4);
  EXPECT_EQ(values(ds.unbatch()), iota(0, 10));
  auto r = rows(ds.rebatch(3));
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0], (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(r[1], (std::vector<int64_t>{3, 4, 5}));
  EXPECT_EQ(r[3], (std::vector<int64_t>{9}));
  EXPECT_EQ(rows(ds.rebatch(3, true)).size(), 3u);
  EXPECT_EQ(rows(ds.rebatch(6)), rows(ds.unbatch().batch(6)));
}

TEST(DataTransform, RepeatTakeSkipShard) {
  auto ds = Dataset::range(4);
  EXPECT_EQ(values(ds.repeat(2)), (std::vector<int64_t>{0, 1, 2, 3, 0, 1, 2, 3}));
  EXPECT_EQ(ds.repeat(2).cardinality(), 8);
  EXPECT_EQ(ds.repeat().cardinality(), INFINITE_CARDINALITY);
  EXPECT_EQ(values(ds.repeat().take(6)), (std::vector<int64_t>{0, 1, 2, 3, 0, 1}));
  EXPECT_EQ(ds.repeat().take(6).cardinality(), 6);
  EXPECT_EQ(values(ds.skip(3)), (std::vector<int64_t>{3}));
  EXPECT_EQ(ds.skip(3).cardinality(), 1);
  EXPECT_EQ(values(ds.skip(9)), std::vector<int64_t>{});
  EXPECT_EQ(values(Dataset::range(10).shard(3, 1)), (std::vector<int64_t>{1, 4, 7}));
  EXPECT_EQ(Dataset::range(10).shard(3, 0).cardinality(), 4);
  EXPECT_EQ(Dataset::range(10).shard(3, 2).cardinality(), 3);
  // An empty input repeated forever ends instead of spinning.
  EXPECT_EQ(values(Dataset::range(0).repeat()), std::vector<int64_t>{});
}

TEST(DataTransform, ZipConcatenateEnumerate) {
  auto z = Dataset::zip({Dataset::range(5), Dataset::range(10, 13)});
  EXPECT_EQ(z.cardinality(), 3);
  auto it = z.make_iterator();
  int n = 0;
  while (auto e = it.next()) {
    ASSERT_EQ(e->size(), 2u);
    EXPECT_EQ((*e)[1].item() - (*e)[0].item(), 10.0);
    ++n;
  }
  EXPECT_EQ(n, 3);
  EXPECT_EQ(values(Dataset::range(2).concatenate(Dataset::range(5, 7))), (std::vector<int64_t>{0, 1, 5, 6}));
  EXPECT_EQ(Dataset::range(2).concatenate(Dataset::range(5, 7)).cardinality(), 4);
  auto en = Dataset::range(3, 6).enumerate(1).make_iterator();
  for (int64_t i = 1; i <= 3; ++i) {
    auto e = en.next();
    EXPECT_EQ((*e)[0].item(), double(i));
    EXPECT_EQ((*e)[1].item(), double(i + 2));
  }
}

TEST(DataTransform, InterleaveOrderMatchesTfData) {
  // tf.data's documented example: range(1, 6).interleave(from_tensors(x).repeat(6), cycle 2, block 4).
  auto make = [](int64_t parallel) {
    return Dataset::range(1, 6).interleave(
        [](const Element& e) { return Dataset::from_tensors({e[0]}).repeat(6); }, 2, 4, parallel);
  };
  std::vector<int64_t> want = {1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4,
                               4, 3, 3, 4, 4, 5, 5, 5, 5, 5, 5};
  EXPECT_EQ(values(make(0)), want);
  EXPECT_EQ(values(make(2)), want);
  EXPECT_EQ(values(make(AUTOTUNE)), want);
}

TEST(DataTransform, SampleFromDatasetsFollowsWeightsAndIsSeeded) {
  auto a = Dataset::from_tensors({Tensor::scalar(0, i64)}).repeat(3000);
  auto b = Dataset::from_tensors({Tensor::scalar(1, i64)}).repeat(1000);
  auto ds = Dataset::sample_from_datasets({a, b}, {0.75, 0.25}, 5);
  auto v = values(ds);
  ASSERT_EQ(v.size(), 4000u);  // both drained: exhausted inputs drop out
  int64_t ones_first_half = 0;
  for (size_t i = 0; i < 2000; ++i) ones_first_half += v[i];
  EXPECT_GT(ones_first_half, 350);
  EXPECT_LT(ones_first_half, 650);
  EXPECT_EQ(values(Dataset::sample_from_datasets({a, b}, {0.75, 0.25}, 5)), v);
  auto stop = values(Dataset::sample_from_datasets({a.take(2), b}, {0.5, 0.5}, 1, true));
  EXPECT_LT(stop.size(), 1002u);
}

TEST(DataTransform, ApplyComposes) {
  auto twice = [](const Dataset& d) { return d.repeat(2); };
  EXPECT_EQ(values(Dataset::range(2).apply(twice)), (std::vector<int64_t>{0, 1, 0, 1}));
}

}  // namespace nabla::data
