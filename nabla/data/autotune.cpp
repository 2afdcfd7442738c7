#include "nabla/data/autotune.h"

#include <algorithm>

#include "nabla/core/thread_pool.h"

namespace nabla::data {

BufferTuner::BufferTuner(int64_t initial, int64_t max) : limit_(std::max<int64_t>(1, initial)), max_(max) {
  limit_ = std::min(limit_, std::max<int64_t>(1, max_));
}

void BufferTuner::set_max(int64_t max) {
  max_ = std::max<int64_t>(1, max);
  limit_ = std::min(limit_, max_);
}

void BufferTuner::record(int64_t buffered) {
  if (upswing_) {
    if (buffered >= limit_) upswing_ = false;
  } else if (buffered == 0) {
    limit_ = std::min(limit_ * 2, max_);
    upswing_ = true;
  }
}

ParallelismTuner::ParallelismTuner(int64_t initial, int64_t max)
    : value_(std::clamp<int64_t>(initial, 1, std::max<int64_t>(1, max))), max_(std::max<int64_t>(1, max)),
      best_value_(value_) {}

void ParallelismTuner::record_output(int64_t t_ns) {
  if (window_start_ns_ < 0) {
    window_start_ns_ = t_ns;
    count_ = 0;
    return;
  }
  ++count_;
  // A window long enough to average over a few rounds of parallel calls.
  int64_t window = std::max<int64_t>(16, 4 * value_);
  if (count_ < window) return;
  double secs = double(t_ns - window_start_ns_) * 1e-9;
  double rate = secs > 0 ? double(count_) / secs : 1e18;
  window_start_ns_ = t_ns;
  count_ = 0;
  end_window(rate);
}

void ParallelismTuner::end_window(double rate) {
  if (hold_ > 0) {
    --hold_;
    if (hold_ == 0) {
      // Re-measure at the held value and probe the other way next time if this way failed.
      best_rate_ = rate;
      best_value_ = value_;
      int64_t probe = value_ + direction_;
      if (probe < 1 || probe > max_) direction_ = -direction_, probe = value_ + direction_;
      if (probe >= 1 && probe <= max_) value_ = probe;
    }
    return;
  }
  if (best_rate_ < 0 || value_ == best_value_) {
    best_rate_ = rate;
    best_value_ = value_;
  } else if (rate > best_rate_ * 1.05) {
    best_rate_ = rate;
    best_value_ = value_;
  } else {
    value_ = best_value_;
    direction_ = -direction_;
    hold_ = 8;
    return;
  }
  int64_t next = value_ + direction_;
  if (next < 1 || next > max_) {
    hold_ = 8;
    direction_ = -direction_;
    return;
  }
  value_ = next;
}

int64_t autotune_max_parallelism() { return global_thread_pool().size(); }

}  // namespace nabla::data
