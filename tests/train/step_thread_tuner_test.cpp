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

TEST(StepThreadTuner, DoesNothingAtOneThreadOrWhenDisabled) {
  const int old = get_num_threads();
  set_num_threads(1);
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
  set_num_threads(old);
}

TEST(StepThreadTuner, KeepsTheFasterCountAndGivesTheConfiguredOneBack) {
  const int old = get_num_threads();
  set_num_threads(2);
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
  set_num_threads(old);
}

TEST(StepThreadTuner, ProbesAgainWhenStepsSlowDownOrAfterAWhile) {
  const int old = get_num_threads();
  set_num_threads(2);
  {
    StepThreadTuner t(2, true);
    run(t, kProbe, [](int n) { return n == 1 ? 1.0 : 0.6; });
    ASSERT_EQ(t.threads(), 2);
    // Another process starts: 2-thread steps take 4x as long. Within one window the tuner probes and moves to 1.
    run(t, StepThreadTuner::kWindow + kProbe, [](int n) { return n == 1 ? 1.0 : 2.4; });
    EXPECT_FALSE(t.probing());
    EXPECT_EQ(t.threads(), 1);
    // The other process ends; 1-thread steps do not slow down, so only the periodic probe finds 2 faster again.
    run(t, int(StepThreadTuner::kReprobeEvery) - 1, [](int n) { return n == 1 ? 1.0 : 0.6; });
    EXPECT_EQ(t.threads(), 1);
    run(t, 1 + kProbe, [](int n) { return n == 1 ? 1.0 : 0.6; });
    EXPECT_EQ(t.threads(), 2);
  }
  set_num_threads(old);
}

}  // namespace
}  // namespace nabla
