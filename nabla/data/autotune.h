#pragma once
// AUTOTUNE: the tuners that adjust a stage's parallelism and buffer size from what the running pipeline
// measures (see docs/data-pipeline.md, "Autotuning"). Each is owned by one stage and called by that stage's
// consumer under the stage's lock; they are not thread-safe on their own.
#include <cstdint>

namespace nabla::data {

// Buffer size of a prefetch: tf.data's up/down-swing rule. While filling ("upswing"), a buffer that reaches its
// limit shows the producer keeps up, so watch it drain ("downswing"); if the consumer then finds it empty, the
// producer is burstier than the buffer can hide, so double the limit (up to max) and fill again.
class BufferTuner {
 public:
  BufferTuner(int64_t initial, int64_t max);
  int64_t limit() const { return limit_; }
  void set_max(int64_t max);
  // At each consumer request: how many elements the buffer held.
  void record(int64_t buffered);

 private:
  int64_t limit_, max_;
  bool upswing_ = true;
};

// Parallel calls of a map or interleave: hill climbing on measured output throughput. Outputs are counted in
// windows; after each window the rate (elements/s) is compared with the best seen: a step that improved it by
// more than 5% is kept and the climb continues, one that did not is reverted and the value is held for a few
// windows before probing again (conditions change as the pipeline warms up or the consumer speeds up).
class ParallelismTuner {
 public:
  ParallelismTuner(int64_t initial, int64_t max);
  int64_t value() const { return value_; }
  // At each element produced, with the current time.
  void record_output(int64_t t_ns);

 private:
  void end_window(double rate);
  int64_t value_, max_;
  int64_t best_value_;
  double best_rate_ = -1;
  int direction_ = +1;
  int hold_ = 0;
  int64_t count_ = 0, window_start_ns_ = -1;
};

// The most parallel calls AUTOTUNE will use: the size of the shared pool.
int64_t autotune_max_parallelism();

}  // namespace nabla::data
