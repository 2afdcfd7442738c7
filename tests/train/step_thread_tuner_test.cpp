#include "nabla/train/step_thread_tuner.h"

#include <gtest/gtest.h>

#include "nabla/core/parallel.h"

namespace nabla {
namespace {

using detail::StepThreadTuner;

// Runs `steps` steps whose time is given by the thread count they ran with.
template <class F>
void run(StepThreadTuner& t, int steps, F seconds_at) {
  for (int i = 0; i < steps; ++i) {
    t.before_step();
    t.after_step(seconds_at(get_num_threads()));
  }
}

constexpr int kProbe = 2 * (StepThreadTuner::kProbeSteps + 1);

// Sets the thread count for a test and gives the previous one back at its end.
class ThreadCount {
 public:
  explicit ThreadCount(int n) : old_(get_num_threads()) { set_num_threads(n); }
  ~ThreadCount() { set_num_threads(old_); }
  ThreadCount(const ThreadCount&) = delete;
  ThreadCount& operator=(const ThreadCount&) = delete;

 private:
  int old_;
};

TEST(StepThreadTuner, DoesNothingAtOneThreadOrWhenDisabled) {
  ThreadCount threads(1);
  {
    StepThreadTuner t;
    EXPECT_FALSE(t.active());
  }
  set_num_threads(4);
  {
    StepThreadTuner t(4, false);
    EXPECT_FALSE(t.active());
    run(t, 50, [](int) { return 1.0; });
    EXPECT_EQ(get_num_threads(), 4);
  }
}

TEST(StepThreadTuner, KeepsTheFasterCountAndGivesTheConfiguredOneBack) {
  ThreadCount threads(2);
  {
    StepThreadTuner t(2, true);
    ASSERT_TRUE(t.active() && t.probing());
    run(t, kProbe, [](int n) { return n == 1 ? 1.0 : 2.6; });  // contended: 1 thread is faster
    EXPECT_FALSE(t.probing());
    EXPECT_EQ(t.threads(), 1);
    run(t, 10, [](int n) { return n == 1 ? 1.0 : 2.6; });
    EXPECT_EQ(get_num_threads(), 1);
  }
  EXPECT_EQ(get_num_threads(), 2);
  {
    StepThreadTuner t(2, true);
    run(t, kProbe, [](int n) { return n == 1 ? 1.0 : 0.6; });  // idle: 2 threads are faster
    EXPECT_EQ(t.threads(), 2);
  }
}

TEST(StepThreadTuner, ProbesAgainWhenStepsSlowDownOrAfterAWhile) {
  ThreadCount threads(2);
  {
    StepThreadTuner t(2, true);
    run(t, kProbe, [](int n) { return n == 1 ? 1.0 : 0.6; });
    ASSERT_EQ(t.threads(), 2);
    // Another process starts: 2-thread steps take 4x as long. Within one window the tuner probes and moves to 1.
    run(t, StepThreadTuner::kWindow + kProbe, [](int n) { return n == 1 ? 1.0 : 2.4; });
    EXPECT_FALSE(t.probing());
    EXPECT_EQ(t.threads(), 1);
    // The other process ends; 1-thread steps do not slow down, so only the periodic probe finds 2 faster again,
    // after twice the usual interval (1 thread had won once).
    EXPECT_EQ(t.reprobe_every(), 2 * StepThreadTuner::kReprobeEvery);
    run(t, int(t.reprobe_every()) - 1, [](int n) { return n == 1 ? 1.0 : 0.6; });
    EXPECT_EQ(t.threads(), 1);
    run(t, 1 + kProbe, [](int n) { return n == 1 ? 1.0 : 0.6; });
    EXPECT_EQ(t.threads(), 2);
    EXPECT_EQ(t.reprobe_every(), StepThreadTuner::kReprobeEvery);
  }
}

// Under contention most 2-thread steps are fast and a few wait a time slice for a descheduled worker: the mean
// shows it (a median kept 2 threads and ran 2.8x slower than 1 thread beside a busy process).
TEST(StepThreadTuner, JudgesByTheMeanSoRareLongWaitsCount) {
  ThreadCount threads(2);
  {
    StepThreadTuner t(2, true);
    int k = 0;
    run(t, kProbe, [&](int n) { return n == 1 ? 1.0 : (++k % 4 == 0 ? 10.0 : 0.6); });
    EXPECT_FALSE(t.probing());
    EXPECT_EQ(t.threads(), 1);
  }
}

// The probe times 1 thread first; the configured block then stops as soon as its steps have taken longer than the
// whole 1-thread block (it can no longer win), instead of paying for 8 steps that each wait a time slice.
TEST(StepThreadTuner, TheConfiguredBlockStopsOnceItCannotWin) {
  ThreadCount threads(2);
  {
    StepThreadTuner t(2, true);
    EXPECT_EQ(t.threads(), 1);
    run(t, 1 + StepThreadTuner::kProbeSteps, [](int) { return 1.0; });  // settling, then 8 timed: 8.0 in all
    EXPECT_EQ(t.threads(), 2);
    run(t, 1 + 2, [](int) { return 3.0; });  // the untimed step, then 6.0: it could still win
    EXPECT_TRUE(t.probing());
    run(t, 1, [](int) { return 3.0; });  // 9.0 > 8.0
    EXPECT_FALSE(t.probing());
    EXPECT_EQ(t.threads(), 1);
  }
}

// Beside a busy process the first 2-thread step waits 25-35 ms for the worker: when that untimed step alone took
// longer than the whole 1-thread block, the probe ends there.
TEST(StepThreadTuner, AnUntimedConfiguredStepThatLostAlreadyEndsTheProbe) {
  ThreadCount threads(2);
  {
    StepThreadTuner t(2, true);
    run(t, 1 + StepThreadTuner::kProbeSteps, [](int) { return 1.0; });
    ASSERT_EQ(t.threads(), 2);
    run(t, 1, [](int) { return 8.5; });
    EXPECT_FALSE(t.probing());
    EXPECT_EQ(t.threads(), 1);
  }
  {
    StepThreadTuner t(2, true);  // a slow first step that did not lose the block is not timed
    run(t, 1 + StepThreadTuner::kProbeSteps, [](int) { return 1.0; });
    run(t, 1, [](int) { return 5.0; });
    EXPECT_TRUE(t.probing());
    run(t, StepThreadTuner::kProbeSteps, [](int n) { return n == 1 ? 1.0 : 0.6; });
    EXPECT_EQ(t.threads(), 2);
  }
  {
    // Nor one shorter than kLostAlreadySeconds (its count's first primitives are made then, at idle).
    StepThreadTuner u(2, true);
    for (int i = 0; i < 60 && u.threads() == 1; ++i) {
      u.before_step();
      u.after_step(0.0001);  // 1-thread steps of 0.1 ms: settling takes 50 of them, then 8 timed
    }
    ASSERT_EQ(u.threads(), 2);
    run(u, 1, [](int) { return 0.0015; });  // > 8 x 0.1 ms, < 2 ms
    EXPECT_TRUE(u.probing());
    run(u, StepThreadTuner::kProbeSteps, [](int n) { return n == 1 ? 0.0001 : 0.00006; });
    EXPECT_FALSE(u.probing());
    EXPECT_EQ(u.threads(), 2);
  }
}

// Steps slowing down at 1 thread (another process now shares its core) would not run faster on more threads: no
// probe, whose 2-thread steps would each wait a time slice; the periodic one still comes.
TEST(StepThreadTuner, SlowerStepsAtOneThreadDoNotTriggerAProbe) {
  ThreadCount threads(2);
  {
    StepThreadTuner t(2, true);
    run(t, kProbe, [](int n) { return n == 1 ? 1.0 : 2.6; });
    ASSERT_EQ(t.threads(), 1);
    run(t, 4 * StepThreadTuner::kWindow, [](int n) { return n == 1 ? 2.0 : 5.2; });
    EXPECT_FALSE(t.probing());
    run(t, int(t.reprobe_every()) - 4 * StepThreadTuner::kWindow, [](int n) { return n == 1 ? 2.0 : 5.2; });
    EXPECT_TRUE(t.probing());
  }
}

// The first 1-thread steps after 2-thread ones run beside OpenMP workers that still spin: the block is timed only
// after kSettleSeconds (here the probe after a first one that chose 2 threads).
TEST(StepThreadTuner, TimesOneThreadOnlyAfterTheWorkersSettle) {
  ThreadCount threads(2);
  {
    StepThreadTuner t(2, true);
    run(t, kProbe, [](int n) { return n == 1 ? 0.006 : 0.0045; });  // the first probe keeps 2 threads
    ASSERT_EQ(t.threads(), 2);
    int since_two = 0;
    auto seconds = [&](int n) {  // ms-scale steps: 1 thread 1.0 ms, but 3.0 ms for two steps after a 2-thread one
      if (n != 1) {
        since_two = 0;
        return 0.0015;
      }
      return ++since_two <= 2 ? 0.003 : 0.001;
    };
    run(t, int(t.reprobe_every()) - 1, seconds);
    ASSERT_EQ(t.threads(), 2);
    for (int i = 0; i < 40 && (i == 0 || t.probing()); ++i) {
      t.before_step();
      t.after_step(seconds(get_num_threads()));
    }
    EXPECT_FALSE(t.probing());
    EXPECT_EQ(t.threads(), 1);
  }
}

// A probe's block at 2 threads happens to miss the long waits; the window after it does not, and the probe that
// window triggers moves to 1 thread and stays there.
TEST(StepThreadTuner, AWindowThatCaughtLongWaitsOutweighsAQuietBlock) {
  ThreadCount threads(2);
  {
    StepThreadTuner t(2, true);
    run(t, kProbe, [](int n) { return n == 1 ? 1.0 : 0.6; });  // a quiet probe: 2 threads
    ASSERT_EQ(t.threads(), 2);
    int k = 0;  // from now on every 16th 2-thread step waits 20x: mean 1.79 vs 1.0 at 1 thread
    auto contended = [&](int n) { return n == 1 ? 1.0 : (++k % 16 == 0 ? 12.0 : 0.6); };
    run(t, StepThreadTuner::kWindow + kProbe, contended);
    EXPECT_EQ(t.threads(), 1);
    run(t, 500, contended);
    EXPECT_EQ(t.threads(), 1);
  }
}

// Beside a busy process the configured block's first step waits a whole time slice. When the system shows no idle
// CPU during most of the 1-thread block, the probe ends there with 1 thread and runs no configured step.
TEST(StepThreadTuner, NoIdleCpuMeansOneThreadWithoutTryingTheConfiguredCount) {
  ThreadCount threads(2);
  {
    int idle = 0;
    StepThreadTuner t(2, true, [&] { return idle; });
    int configured_steps = 0;
    run(t, 1 + StepThreadTuner::kProbeSteps, [&](int n) { return n == 1 ? 1.0 : (++configured_steps, 0.6); });
    EXPECT_FALSE(t.probing());
    EXPECT_EQ(t.threads(), 1);
    EXPECT_EQ(configured_steps, 0);
    EXPECT_EQ(t.reprobe_every(), StepThreadTuner::kReprobeEvery);
    // Such a probe costs only its 1-thread block: the next one comes after kBusyRecheck steps.
    run(t, int(StepThreadTuner::kBusyRecheck) - 1, [](int n) { return n == 1 ? 1.0 : 0.6; });
    EXPECT_FALSE(t.probing());
    run(t, 1, [](int n) { return n == 1 ? 1.0 : 0.6; });
    EXPECT_TRUE(t.probing());
    run(t, 1 + StepThreadTuner::kProbeSteps, [&](int n) { return n == 1 ? 1.0 : (++configured_steps, 0.6); });
    EXPECT_FALSE(t.probing());
    EXPECT_EQ(configured_steps, 0);
    // The busy process ends: the next probe sees an idle CPU, times the configured count and takes it.
    idle = 1;
    run(t, int(StepThreadTuner::kBusyRecheck) + kProbe, [](int n) { return n == 1 ? 1.0 : 0.6; });
    EXPECT_EQ(t.threads(), 2);
  }
  {
    // A free CPU in most samples (a short task woke once), or no reading at all: the configured block runs.
    int k = 0;
    StepThreadTuner t(2, true, [&] { return ++k == 3 ? 0 : 1; });
    run(t, kProbe, [](int n) { return n == 1 ? 1.0 : 0.6; });
    EXPECT_EQ(t.threads(), 2);
    StepThreadTuner u(2, true, [] { return -1; });
    run(u, kProbe, [](int n) { return n == 1 ? 1.0 : 0.6; });
    EXPECT_EQ(u.threads(), 2);
  }
}

TEST(StepThreadTuner, IdleCpusFromLoadavg) {
  EXPECT_EQ(StepThreadTuner::idle_cpus("0.25 0.95 1.09 1/85 29340\n", 2), 1);
  EXPECT_EQ(StepThreadTuner::idle_cpus("2.01 1.50 0.90 2/91 29341", 2), 0);
  EXPECT_EQ(StepThreadTuner::idle_cpus("2.01 1.50 0.90 5/91 29341", 2), 0);  // never below 0
  EXPECT_EQ(StepThreadTuner::idle_cpus("0.00 0.00 0.00 3/400 1", 64), 61);
  // This process's spinning OpenMP worker runs too, on a core that is ours to use.
  EXPECT_EQ(StepThreadTuner::idle_cpus("1.00 1.00 1.00 2/88 31505", 2, 1), 1);
  EXPECT_EQ(StepThreadTuner::idle_cpus("1.00 1.00 1.00 3/88 31505", 2, 1), 0);
  for (const char* bad : {"", "0.1 0.2 0.3", "0.1 0.2 0.3 /85 1", "0.1 0.2 0.3 x/85 1", "0.1 0.2 0.3 12 1",
                          "0.1 0.2 0.3 99999999999/85 1"})
    EXPECT_EQ(StepThreadTuner::idle_cpus(bad, 2), -1) << bad;
  EXPECT_EQ(StepThreadTuner::idle_cpus("0.25 0.95 1.09 1/85 29340", 0), -1);
  const int here = StepThreadTuner::system_idle_cpus();  // this machine: -1 only in a restricted cpuset
  EXPECT_GE(here, -1);
}

}  // namespace
}  // namespace nabla
