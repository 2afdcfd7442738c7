// Server-side batching: requests share a batch, padding to allowed sizes, a full queue refuses (429).
#include "nabla/serve/batcher.h"

#include <atomic>
#include <gtest/gtest.h>
#include <latch>
#include <thread>

#include "nabla/serve/serve_error.h"

namespace nabla::serve {
namespace {

using namespace std::chrono_literals;

Tensor rows(std::vector<float> v, int64_t cols) {
  const int64_t n = int64_t(v.size()) / cols;
  return Tensor::from_vector(v, Shape{n, cols});
}

// Doubles its input; records the batch sizes it saw.
struct Doubler {
  std::mutex mu;
  std::vector<int64_t> sizes;
  std::vector<Tensor> operator()(const std::vector<Tensor>& in) {
    {
      std::lock_guard<std::mutex> lock(mu);
      sizes.push_back(in[0].shape()[0]);
    }
    Tensor out = Tensor::empty(in[0].shape(), f32);
    for (int64_t i = 0; i < in[0].numel(); ++i) out.data<float>()[i] = 2 * in[0].data<float>()[i];
    return {out};
  }
};

TEST(Batcher, ConcurrentRequestsShareOneBatchAndGetTheirOwnRows) {
  Doubler d;
  BatchingParameters p;
  p.max_batch_size = 4;
  p.batch_timeout_micros = 60'000'000;  // only a full batch runs
  p.num_batch_threads = 1;
  Batcher b(p, [&](const std::vector<Tensor>& in) { return d(in); });
  std::vector<std::thread> threads;
  std::vector<std::vector<float>> got(4);
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      auto out = b.run({rows({float(i), float(10 * i)}, 2)}, 120s);
      got[size_t(i)].assign(out[0].data<float>(), out[0].data<float>() + out[0].numel());
    });
  for (auto& t : threads) t.join();
  ASSERT_EQ(d.sizes, (std::vector<int64_t>{4}));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(got[size_t(i)], (std::vector<float>{2.f * i, 20.f * i}));
}

TEST(Batcher, PadsToTheNextAllowedBatchSize) {
  Doubler d;
  BatchingParameters p;
  p.max_batch_size = 8;
  p.allowed_batch_sizes = {4, 8};
  p.batch_timeout_micros = 0;
  p.num_batch_threads = 1;
  Batcher b(p, [&](const std::vector<Tensor>& in) { return d(in); });
  auto out = b.run({rows({1, 2, 3}, 1)}, 60s);
  EXPECT_EQ(d.sizes, (std::vector<int64_t>{4}));
  EXPECT_EQ(out[0].shape(), (Shape{3, 1}));
  EXPECT_EQ(std::vector<float>(out[0].data<float>(), out[0].data<float>() + 3), (std::vector<float>{2, 4, 6}));
}

TEST(Batcher, FullQueueIsResourceExhausted) {
  std::latch entered(1), release(1);
  std::atomic<bool> first{true};
  BatchingParameters p;
  p.max_batch_size = 1;
  p.max_enqueued_batches = 1;
  p.num_batch_threads = 1;
  Batcher b(p, [&](const std::vector<Tensor>& in) {
    if (first.exchange(false)) {
      entered.count_down();
      release.wait();
    }
    return in;
  });
  std::thread running([&] { b.run({rows({1}, 1)}, 60s); });
  entered.wait();  // the batch thread holds the first request
  std::thread queued([&] { b.run({rows({2}, 1)}, 60s); });
  while (b.queue_depth() < 1) std::this_thread::yield();
  try {
    b.run({rows({3}, 1)}, 60s);
    ADD_FAILURE() << "a request beyond max_enqueued_batches was accepted";
  } catch (const ServeError& e) {
    EXPECT_EQ(e.code, StatusCode::kResourceExhausted);
    EXPECT_STREQ(e.what(), "The batch scheduling queue to which this task was submitted is full");
  }
  release.count_down();
  running.join();
  queued.join();
}

TEST(Batcher, TaskLargerThanMaxBatchSize) {
  BatchingParameters p;
  p.max_batch_size = 2;
  p.num_batch_threads = 1;
  Batcher b(p, [](const std::vector<Tensor>& in) { return in; });
  try {
    b.run({rows({1, 2, 3}, 1)}, 60s);
    ADD_FAILURE();
  } catch (const ServeError& e) {
    EXPECT_EQ(e.code, StatusCode::kInvalidArgument);
    EXPECT_STREQ(e.what(), "Task size 3 is larger than maximum input batch size 2");
  }
}

TEST(Batcher, DifferentExampleShapesDoNotShareABatch) {
  std::mutex mu;
  std::vector<Shape> seen;
  BatchingParameters p;
  p.max_batch_size = 8;
  p.batch_timeout_micros = 1000;
  p.num_batch_threads = 1;
  Batcher b(p, [&](const std::vector<Tensor>& in) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(in[0].shape());
    return in;
  });
  std::thread t1([&] { EXPECT_EQ(b.run({rows({1, 2}, 2)}, 60s)[0].shape(), (Shape{1, 2})); });
  std::thread t2([&] { EXPECT_EQ(b.run({rows({1, 2, 3}, 3)}, 60s)[0].shape(), (Shape{1, 3})); });
  t1.join();
  t2.join();
  for (const auto& s : seen) EXPECT_EQ(s[0], 1);
}

TEST(Batcher, ModelErrorsReachEveryRequestOfTheBatch) {
  BatchingParameters p;
  p.num_batch_threads = 1;
  Batcher b(p, [](const std::vector<Tensor>&) -> std::vector<Tensor> {
    throw ServeError(StatusCode::kInvalidArgument, "bad input");
  });
  EXPECT_THROW(b.run({rows({1}, 1)}, 60s), ServeError);
}

}  // namespace
}  // namespace nabla::serve
