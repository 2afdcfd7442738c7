#pragma once
// The training step's thread count, chosen by measuring. On a machine where another process is busy on a core, a
// step that spreads over every core waits for the busy one at each parallel region and runs 2-3x slower than on one
// thread (issue 17: W1 at 2 threads beside a busy loop 3.65-4.66 s, at 1 thread 1.77 s). fit therefore times the
// configured count against 1 thread for a few steps, keeps the faster, and probes again every 1000 steps or as soon
// as steps slow down by half (the load changed). At 1 configured thread, or with NABLA_ADAPTIVE_THREADS=0, it does
// nothing, so 1-thread runs stay bit-reproducible.
#include <cstdint>
#include <vector>

namespace nabla::detail {

class StepThreadTuner {
 public:
  static constexpr int kProbeSteps = 6;         // timed steps per candidate (after one untimed warm-up each)
  static constexpr int64_t kReprobeEvery = 1000;
  static constexpr int kWindow = 32;            // steps whose median is watched for a slowdown
  static constexpr double kSlowdown = 1.5;

  // configured: the thread count set by the user (get_num_threads() when fit starts).
  StepThreadTuner(int configured, bool enabled);
  StepThreadTuner();  // configured = get_num_threads(), enabled unless NABLA_ADAPTIVE_THREADS=0
  ~StepThreadTuner();  // gives the configured count back
  StepThreadTuner(const StepThreadTuner&) = delete;
  StepThreadTuner& operator=(const StepThreadTuner&) = delete;

  void before_step();               // sets the thread count for the coming step
  void after_step(double seconds);  // that step's time
  bool active() const { return active_; }
  bool probing() const { return probe_step_ >= 0; }
  int threads() const;  // the count the next step runs with

 private:
  void start_probe();
  int configured_;
  bool active_;
  int chosen_;
  int probe_step_ = -1;  // >= 0 while probing: steps alternate configured, 1, configured, 1, ...
  std::vector<double> times_configured_, times_one_, window_;
  double chosen_median_ = 0;
  int64_t since_probe_ = 0;
};

}  // namespace nabla::detail
