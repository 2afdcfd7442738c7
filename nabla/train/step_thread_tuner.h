#pragma once
// The training step's thread count, chosen by measuring. On a machine where another process is busy on a core, a
// step that spreads over every core waits for the busy one at each parallel region and runs 2-3x slower than on one
// thread (issue 17: W1 at 2 threads beside a busy loop 3.65-4.66 s, at 1 thread 1.77 s). fit therefore times the
// configured count against 1 thread for a few steps, keeps the faster, and probes again every 1000 steps or as soon
// as steps slow down by half (the load changed). At 1 configured thread, or with NABLA_ADAPTIVE_THREADS=0, it does
// nothing, so 1-thread runs stay bit-reproducible.
//
// A probe times a block of steps at 1 thread, then a block at the configured count, and compares their means:
// under contention most 2-thread steps are fast and a few wait a whole time slice for a descheduled worker, so the
// mean (what an epoch costs) shows it where a median does not. 1 thread goes first so that the configured block
// can stop as soon as its steps have taken longer than the 1-thread block (it can no longer win): at fit start
// beside a busy process every 2-thread step can wait 8-35 ms. The 1-thread block starts timing only once
// kSettleSeconds have passed: OpenMP's idle workers keep spinning for a few ms after the last parallel region and
// would slow the first 1-thread steps down (alternating single steps made 1 thread look as slow as 2). A block of
// 8 steps can still miss the waits (a busy process takes its time slice every few ms); the 32-step window after
// the probe catches them, and the probe it triggers counts that window's mean for the configured count.
#include <cstdint>
#include <vector>

namespace nabla::detail {

class StepThreadTuner {
 public:
  static constexpr int kProbeSteps = 8;         // timed steps per candidate
  static constexpr double kSettleSeconds = 0.005;  // untimed steps at 1 thread before its block is timed
  static constexpr int64_t kReprobeEvery = 1000;  // doubling, up to 16x, while 1 thread keeps winning
  static constexpr int kWindow = 32;            // steps whose mean is watched for a slowdown
  static constexpr double kSlowdown = 1.5;
  static constexpr double kLostAlreadySeconds = 0.002;  // an untimed configured step at least this long may end a probe

  // configured: the thread count set by the user (get_num_threads() when fit starts).
  StepThreadTuner(int configured, bool enabled);
  StepThreadTuner();  // configured = get_num_threads(), enabled unless NABLA_ADAPTIVE_THREADS=0
  ~StepThreadTuner();  // gives the configured count back
  StepThreadTuner(const StepThreadTuner&) = delete;
  StepThreadTuner& operator=(const StepThreadTuner&) = delete;

  void before_step();               // sets the thread count for the coming step
  void after_step(double seconds);  // that step's time
  bool active() const { return active_; }
  bool probing() const { return phase_ != Phase::none; }
  int threads() const;  // the count the next step runs with
  int64_t reprobe_every() const { return reprobe_every_; }  // steps from one probe to the next

 private:
  enum class Phase { none, configured, one };
  void start_probe();
  int configured_;
  bool active_;
  int chosen_;
  Phase phase_ = Phase::none;
  bool warmed_ = false;  // the current block's untimed steps are done
  double settled_ = 0;   // seconds of untimed steps in the current block
  std::vector<double> times_configured_, times_one_, window_;
  double chosen_mean_ = 0;
  double evidence_ = 0;  // the mean of the window that triggered this probe, when it ran at the configured count
  int64_t since_probe_ = 0;
  int64_t reprobe_every_ = kReprobeEvery;
};

}  // namespace nabla::detail
