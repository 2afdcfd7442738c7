#include "nabla/serve/batcher.h"

#include <cstring>

#include "nabla/serve/serve_error.h"

namespace nabla::serve {

namespace {

// Rows [begin, begin + n) of t (first dimension), as a new contiguous tensor.
Tensor slice_rows(const Tensor& t, int64_t begin, int64_t n) {
  Shape s = t.shape();
  const size_t row_bytes = s[0] ? t.nbytes() / size_t(s[0]) : 0;
  s[0] = n;
  Tensor out = Tensor::empty(s, t.dtype());
  if (n && row_bytes) std::memcpy(out.raw_data(), static_cast<const char*>(t.raw_data()) + size_t(begin) * row_bytes, size_t(n) * row_bytes);
  return out;
}

}  // namespace

Batcher::Batcher(BatchingParameters params, RunFn run, BatchObserver observer)
    : params_(std::move(params)), run_(std::move(run)), observer_(std::move(observer)) {
  int64_t n = params_.num_batch_threads;
  if (n <= 0) n = std::max<int64_t>(1, std::thread::hardware_concurrency());
  for (int64_t i = 0; i < n; ++i) threads_.emplace_back([this] { loop(); });
}

Batcher::~Batcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

int64_t Batcher::queue_depth() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queued_rows_;
}

int64_t Batcher::padded_size(int64_t rows) const {
  for (int64_t s : params_.allowed_batch_sizes)
    if (s >= rows) return s;
  return rows;
}

std::vector<Tensor> Batcher::run(const std::vector<Tensor>& inputs, std::chrono::milliseconds timeout) {
  auto task = std::make_shared<Task>();
  task->rows = inputs.empty() || inputs[0].shape().size() == 0 ? 1 : inputs[0].shape()[0];
  for (const auto& t : inputs) {
    task->inputs.push_back(t.contiguous());
    Shape k = t.shape();
    if (k.size() > 0) k.erase(0);
    task->key.push_back(k);
  }
  if (task->rows == 0) return run_(task->inputs);  // nothing to batch (and no example to pad with)
  if (task->rows > params_.max_batch_size) {
    throw ServeError(StatusCode::kInvalidArgument, "Task size " + std::to_string(task->rows) +
                                                       " is larger than maximum input batch size " +
                                                       std::to_string(params_.max_batch_size));
  }
  std::future<std::vector<Tensor>> result = task->result.get_future();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) throw ServeError(StatusCode::kUnavailable, "The batch scheduler is shutting down");
    if (queued_rows_ + task->rows > params_.max_enqueued_batches * params_.max_batch_size)
      throw ServeError(StatusCode::kResourceExhausted,
                       "The batch scheduling queue to which this task was submitted is full");
    task->enqueued = std::chrono::steady_clock::now();
    queue_.push_back(task);
    queued_rows_ += task->rows;
  }
  cv_.notify_one();
  if (result.wait_for(timeout) != std::future_status::ready)
    throw ServeError(StatusCode::kDeadlineExceeded, "Request timed out after " + std::to_string(timeout.count()) +
                                                        " ms waiting for its batch");
  return result.get();
}

void Batcher::loop() {
  const auto batch_timeout = std::chrono::microseconds(params_.batch_timeout_micros);
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stop_ and nothing left
    // Examples that can join the batch the oldest task starts (same shapes, in queue order).
    auto joinable_rows = [&] {
      int64_t rows = 0;
      for (const auto& t : queue_) {
        if (!(t->key == queue_.front()->key) || rows + t->rows > params_.max_batch_size) break;
        rows += t->rows;
      }
      return rows;
    };
    const auto deadline = queue_.front()->enqueued + batch_timeout;
    while (!stop_ && !queue_.empty() && joinable_rows() < params_.max_batch_size &&
           std::chrono::steady_clock::now() < deadline) {
      cv_.wait_until(lock, deadline);
    }
    if (queue_.empty()) continue;  // another batch thread took them
    std::vector<std::shared_ptr<Task>> batch;
    int64_t rows = 0;
    while (!queue_.empty() && queue_.front()->key == (batch.empty() ? queue_.front()->key : batch[0]->key) &&
           rows + queue_.front()->rows <= params_.max_batch_size) {
      rows += queue_.front()->rows;
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    queued_rows_ -= rows;
    lock.unlock();
    run_batch(batch);
    lock.lock();
  }
}

void Batcher::run_batch(std::vector<std::shared_ptr<Task>>& tasks) {
  try {
    int64_t rows = 0;
    for (const auto& t : tasks) rows += t->rows;
    const int64_t padded = padded_size(rows);
    std::vector<Tensor> inputs;
    if (tasks.size() == 1 && padded == rows) {
      inputs = tasks[0]->inputs;
    } else {
      for (size_t k = 0; k < tasks[0]->inputs.size(); ++k) {
        const Tensor& first = tasks[0]->inputs[k];
        Shape s = first.shape();
        s[0] = padded;
        Tensor cat = Tensor::empty(s, first.dtype());
        const size_t row_bytes = first.shape()[0] ? first.nbytes() / size_t(first.shape()[0]) : 0;
        char* dst = static_cast<char*>(cat.raw_data());
        for (const auto& t : tasks) {
          if (t->inputs[k].nbytes()) std::memcpy(dst, t->inputs[k].raw_data(), t->inputs[k].nbytes());
          dst += t->inputs[k].nbytes();
        }
        if (row_bytes)
          for (int64_t r = rows; r < padded; ++r, dst += row_bytes) std::memcpy(dst, first.raw_data(), row_bytes);
        inputs.push_back(cat);
      }
    }
    if (observer_) observer_(rows, padded);
    std::vector<Tensor> outputs = run_(inputs);
    int64_t offset = 0;
    for (auto& t : tasks) {
      std::vector<Tensor> mine;
      for (const auto& o : outputs) {
        if (o.shape().size() == 0 || o.shape()[0] != padded)
          throw ServeError(StatusCode::kInternal, "a batched output does not have the batch as its first dimension");
        mine.push_back(tasks.size() == 1 && padded == rows ? o : slice_rows(o.contiguous(), offset, t->rows));
      }
      offset += t->rows;
      t->result.set_value(std::move(mine));
    }
  } catch (...) {
    for (auto& t : tasks) {
      try {
        t->result.set_exception(std::current_exception());
      } catch (const std::future_error&) {
        // already answered
      }
    }
  }
}

}  // namespace nabla::serve
