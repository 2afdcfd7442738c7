#pragma once
// Server-side batching as TF Serving's BasicBatchScheduler does it: requests queue up; a batch thread takes the
// requests at the front (same per-example shapes) until max_batch_size examples or batch_timeout_micros after the
// oldest one, pads the batch to the next allowed_batch_sizes entry (repeating the first example, as TF Serving
// pads), runs the model once and hands each request its rows. A request that does not fit in the queue
// (max_enqueued_batches batches of max_batch_size) fails at once with RESOURCE_EXHAUSTED (HTTP 429).
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "nabla/core/tensor.h"
#include "nabla/serve/server_config.h"

namespace nabla::serve {

class Batcher {
 public:
  using RunFn = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;
  using BatchObserver = std::function<void(int64_t size, int64_t padded_size)>;
  Batcher(BatchingParameters params, RunFn run, BatchObserver observer = {});
  // Runs what is queued, then stops the batch threads.
  ~Batcher();
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // The model's outputs for `inputs` (batch = first dimension, same for all inputs). Throws ServeError:
  // RESOURCE_EXHAUSTED when the queue is full, INVALID_ARGUMENT for more than max_batch_size examples,
  // DEADLINE_EXCEEDED after `timeout`, or the model's own error.
  std::vector<Tensor> run(const std::vector<Tensor>& inputs, std::chrono::milliseconds timeout);
  // Examples waiting in the queue.
  int64_t queue_depth() const;
  const BatchingParameters& params() const { return params_; }

 private:
  struct Task {
    std::vector<Tensor> inputs;
    int64_t rows = 0;
    std::vector<Shape> key;  // per-example shapes; only equal keys share a batch
    std::chrono::steady_clock::time_point enqueued;
    std::promise<std::vector<Tensor>> result;
  };
  void loop();
  void run_batch(std::vector<std::shared_ptr<Task>>& tasks);
  int64_t padded_size(int64_t rows) const;

  BatchingParameters params_;
  RunFn run_;
  BatchObserver observer_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Task>> queue_;
  int64_t queued_rows_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace nabla::serve
