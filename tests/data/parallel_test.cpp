#include <atomic>
#include <thread>

#include "data_test_util.h"
#include "nabla/core/thread_pool.h"
#include "test_util.h"

namespace nabla::data {
using namespace nabla::testing;

namespace {
// A map function whose cost varies by element, so that parallel calls finish out of order.
Element slow_square(Element e) {
  int64_t v = int64_t(e[0].item());
  std::this_thread::sleep_for(std::chrono::microseconds((v * 7919) % 5 * 200));
  return {Tensor::scalar(double(v * v), i64)};
}
std::vector<int64_t> squares(int64_t n) {
  std::vector<int64_t> v;
  for (int64_t i = 0; i < n; ++i) v.push_back(i * i);
  return v;
}
}  // namespace

TEST(DataParallel, DeepPipelineOnAOneThreadPoolCannotDeadlock) {
  // Stages waiting on stages below them: the waiting thread runs its unstarted dependency itself.
  ThreadPool pool(1);
  auto claim = std::make_shared<TaskClaim>();
  std::atomic<int> runs{0};
  pool.submit([claim, &runs] {
    if (claim->try_claim()) ++runs;
  });
  if (claim->try_claim()) ++runs;
  pool.submit([] {});
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(runs.load(), 1);
  // Three nested prefetches and parallel maps, more than the shared pool has workers.
  auto ds = Dataset::range(60).map(slow_square, 2).prefetch(2).map([](Element e) { return e; }, 2).prefetch(2)
                .batch(5).prefetch(1).prefetch(2);
  std::vector<int64_t> got;
  for (auto& r : rows(ds)) got.insert(got.end(), r.begin(), r.end());
  EXPECT_EQ(got, squares(60));
}

TEST(DataParallel, ParallelMapIsDeterministicByDefault) {
  for (int64_t p : {int64_t(1), int64_t(3), AUTOTUNE})
    EXPECT_EQ(values(Dataset::range(40).map(slow_square, p)), squares(40)) << "parallel " << p;
}

TEST(DataParallel, NonDeterministicMapYieldsTheSameSet) {
  auto v = values(Dataset::range(40).map(slow_square, 4, false));
  std::sort(v.begin(), v.end());
  EXPECT_EQ(v, squares(40));
}

TEST(DataParallel, SeededPipelineWithParallelMapIsReproducible) {
  auto make = [] {
    return Dataset::range(200).shuffle(32, 4).map(slow_square, AUTOTUNE).batch(8).prefetch(AUTOTUNE);
  };
  auto a = rows(make());
  auto b = rows(make());
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.size(), 25u);
}

TEST(DataParallel, PrefetchKeepsOrderAcrossEpochs) {
  auto ds = Dataset::range(30).shuffle(10, 2).batch(4).prefetch(2);
  auto ref = Dataset::range(30).shuffle(10, 2).batch(4);
  for (int epoch = 0; epoch < 3; ++epoch) EXPECT_EQ(rows(ds), rows(ref)) << "epoch " << epoch;
  EXPECT_EQ(values(Dataset::range(50).prefetch(AUTOTUNE)), iota(0, 50));
}

TEST(DataParallel, PrewarmedEpochIsReadyAndInOrder) {
  // After an epoch ends, the next one is started in the background; the order of epochs is unchanged.
  Tensor x = Tensor::arange(64);
  auto ds = Dataset::from_tensor_slices(x).shuffle(64, 1).batch(8).prefetch(4);
  auto ref = Dataset::from_tensor_slices(x).shuffle(64, 1).batch(8);
  for (int epoch = 0; epoch < 3; ++epoch) EXPECT_EQ(rows(ds), rows(ref));
  auto it = ds.make_iterator();
  auto st = ds.stats();
  ASSERT_FALSE(st.stages.empty());
  EXPECT_EQ(st.stages[0].name, "prefetch(4)");
}

TEST(DataParallel, NextPassStartsBeforeTheConsumerSeesTheEnd) {
  auto passes = std::make_shared<std::atomic<int>>(0);
  auto gen = Dataset::from_generator([passes] {
    ++*passes;
    auto i = std::make_shared<int64_t>(0);
    return Dataset::GeneratorFn([i]() -> std::optional<Element> {
      if (*i >= 5) return std::nullopt;
      return Element{Tensor::scalar(double((*i)++), i64)};
    });
  });
  auto ds = gen.shuffle(5, 1).prefetch(2);
  auto ref = gen.shuffle(5, 1);
  {
    auto it = ds.make_iterator();
    while (it.next()) {
    }
    EXPECT_EQ(*passes, 2);  // the second pass was started by the time the first reported its end
  }
  *passes = 0;
  auto a = values(ds);     // adopts the prepared pass: no new generator call for it
  EXPECT_EQ(*passes, 1);   // ... but its own end prepares the next one
  auto b = values(ref), c = values(ref);
  EXPECT_EQ(a, c);  // the adopted pass is the second epoch, with the second epoch's shuffle order
  EXPECT_NE(b, c);
}

TEST(DataParallel, ErrorInMapNamesTheElementAndShutsDown) {
  auto bad = [](Element e) {
    if (int64_t(e[0].item()) == 13) throw ValueError("bad value 13");
    return e;
  };
  for (int64_t p : {int64_t(0), int64_t(3), AUTOTUNE}) {
    auto it = Dataset::range(100).map(bad, p).prefetch(4).make_iterator();
    int64_t seen = 0;
    try {
      while (it.next()) ++seen;
      ADD_FAILURE() << "expected an exception";
    } catch (const PipelineError& e) {
      EXPECT_EQ(e.element_index, 13);
      EXPECT_NE(std::string(e.what()).find("element 13"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("bad value 13"), std::string::npos) << e.what();
    }
    EXPECT_EQ(seen, 13);  // every element before the failure was delivered, in order
    EXPECT_FALSE(it.next());
  }
}

TEST(DataParallel, EarlyDestructionStopsBackgroundWork) {
  std::atomic<int64_t> calls{0};
  auto count = [&](Element e) {
    ++calls;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
    return e;
  };
  for (int round = 0; round < 20; ++round) {
    auto ds = Dataset::range(1000000).map(count, 3).prefetch(8).interleave(
        [](const Element& e) { return Dataset::from_tensors({e[0]}).repeat(3); }, 2, 1, 2).prefetch(AUTOTUNE);
    auto it = ds.make_iterator();
    for (int i = 0; i < round % 4; ++i) it.next();
  }  // each iterator is destroyed mid-epoch, some before the first element
  int64_t after = calls.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(calls.load(), after);  // nothing still running
  EXPECT_LT(after, 20 * 100);
}

TEST(DataParallel, IteratorOutlivesItsDataset) {
  std::optional<Iterator> it;
  {
    auto ds = Dataset::range(10).map(slow_square, 2).prefetch(3);
    it = ds.make_iterator();
  }
  std::vector<int64_t> got;
  while (auto e = it->next()) got.push_back(int64_t((*e)[0].item()));
  EXPECT_EQ(got, squares(10));
}

TEST(DataStats, CountsStagesAndPrints) {
  auto ds = Dataset::range(64).map(slow_square, 2).batch(8).prefetch(AUTOTUNE);
  auto it = ds.make_iterator();
  int n = 0;
  while (it.next()) ++n;
  EXPECT_EQ(n, 8);
  PipelineStats st = it.stats();
  ASSERT_EQ(st.stages.size(), 4u);
  EXPECT_EQ(st.stages[0].name, "prefetch(AUTOTUNE)");
  EXPECT_EQ(st.stages[0].elements, 8);
  EXPECT_TRUE(st.stages[0].autotuned);
  EXPECT_GE(st.stages[0].capacity, 1);
  EXPECT_EQ(st.stages[1].name, "batch(8)");
  EXPECT_EQ(st.stages[1].depth, 1);
  EXPECT_EQ(st.stages[2].name, "parallel_map(2)");
  EXPECT_EQ(st.stages[2].elements, 64);
  EXPECT_EQ(st.stages[2].parallelism, 2);
  EXPECT_EQ(st.stages[3].elements, 64);
  EXPECT_GT(st.stages[2].seconds, 0);
  std::string s = st.str();
  for (const char* part : {"prefetch(AUTOTUNE)", "parallel_map(2)", "range(0, 64, 1)", "stalls", "consumer"})
    EXPECT_NE(s.find(part), std::string::npos) << s;
  EXPECT_EQ(ds.stats().stages.size(), 4u);
  // repeat re-creates its input each pass; its rows accumulate rather than multiply.
  auto rit = Dataset::range(5).map([](Element e) { return e; }).repeat(3).make_iterator();
  while (rit.next()) {
  }
  auto rs = rit.stats();
  ASSERT_EQ(rs.stages.size(), 3u);
  EXPECT_EQ(rs.stages[1].elements, 15);
}

}  // namespace nabla::data
