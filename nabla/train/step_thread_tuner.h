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
//
// Before that configured block, the probe asks the system whether a core is free at all (idle_cpus: online CPUs
// less other processes' running tasks, from /proc/loadavg and /proc/self/task, sampled at each timed 1-thread
// step). When most samples show none, a
// busy process holds the other core(s) and the configured block would only wait for it: 1 thread wins without it.
// The first configured step beside a busy process waits one scheduler time slice (20-35 ms traced), ~5% of a
// 2-epoch W1 fit, which was what kept the busy case at 1.12x of 1 thread. Such a probe costs only its 1-thread
// block, so the next one comes after kBusyRecheck steps: at fit start the kernel's own work after a dataset load
// sometimes looks like a busy CPU (1 in 6 fits at idle), and 1 thread would otherwise stay for 2000 steps.
#include <cstdint>
#include <functional>
#include <string>
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
  static constexpr int64_t kBusyRecheck = 256;  // steps to the next probe after one that found no idle CPU

  // CPUs idle right now, or -1 when unknown (then every probe runs its configured block).
  using IdleCpus = std::function<int()>;
  // configured: the thread count set by the user (get_num_threads() when fit starts).
  StepThreadTuner(int configured, bool enabled, IdleCpus idle_cpus = {});
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

  // Idle CPUs from /proc/loadavg's "running/total" field: online CPUs less running tasks (the caller, running,
  // counts) other than own_running (this process's other running threads), never below 0; -1 when the text is
  // malformed or online < 1.
  static int idle_cpus(const std::string& loadavg, int online, int own_running = 0);
  // The same for this machine; -1 when this process may not run on every online CPU (a container's cpuset: the
  // machine-wide count then says nothing about its CPUs) or /proc/loadavg cannot be read.
  static int system_idle_cpus();

 private:
  enum class Phase { none, configured, one };
  void start_probe();
  void end_probe(double mean_configured, double mean_one, bool found_busy = false);
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
  IdleCpus idle_cpus_;
  int samples_ = 0, busy_samples_ = 0;  // idle_cpus readings in this probe's 1-thread block, and those with none
  bool found_busy_ = false;  // the last probe found no idle CPU: the next one comes after kBusyRecheck steps
};

}  // namespace nabla::detail
