#include "nabla/train/step_thread_tuner.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "nabla/core/parallel.h"

namespace nabla::detail {
namespace {

double mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? 0.0 : sum / double(v.size());
}

bool enabled_by_env() {
  const char* v = std::getenv("NABLA_ADAPTIVE_THREADS");
  return !(v && std::strcmp(v, "0") == 0);
}

}  // namespace

StepThreadTuner::StepThreadTuner(int configured, bool enabled)
    : configured_(configured), active_(enabled && configured > 1), chosen_(configured) {
  if (active_) start_probe();
}

StepThreadTuner::StepThreadTuner() : StepThreadTuner(get_num_threads(), enabled_by_env()) {}

StepThreadTuner::~StepThreadTuner() {
  if (active_) set_num_threads(configured_);
}

int StepThreadTuner::threads() const {
  switch (phase_) {
    case Phase::configured: return configured_;
    case Phase::one: return 1;
    case Phase::none: break;
  }
  return chosen_;
}

void StepThreadTuner::start_probe() {
  phase_ = Phase::configured;
  warmed_ = false;
  settled_ = 0;
  times_configured_.clear();
  times_one_.clear();
  window_.clear();
}

void StepThreadTuner::before_step() {
  if (active_ && get_num_threads() != threads()) set_num_threads(threads());
}

void StepThreadTuner::after_step(double seconds) {
  if (!active_) return;
  if (probing()) {
    if (!warmed_) {  // one untimed step at the configured count; at 1 thread, until the spinning workers rest
      settled_ += seconds;
      warmed_ = phase_ == Phase::configured || settled_ >= kSettleSeconds;
      return;
    }
    std::vector<double>& times = phase_ == Phase::configured ? times_configured_ : times_one_;
    times.push_back(seconds);
    if (int(times.size()) < kProbeSteps) return;
    if (phase_ == Phase::configured) {
      phase_ = Phase::one;
      warmed_ = false;
      settled_ = 0;
      return;
    }
    // The steps that made the last window slow down ran at the configured count: their mean counts too (a block
    // of a few steps can miss the rare long waits that window caught).
    const double mc = std::max(mean(times_configured_), evidence_), m1 = mean(times_one_);
    evidence_ = 0;
    chosen_ = m1 < mc ? 1 : configured_;
    // While 1 thread keeps winning, probe half as often each time (up to every 16000 steps): each probe spends
    // steps at the configured count, which under steady contention is what made short fits 1.2x slower.
    reprobe_every_ = chosen_ == 1 ? std::min(2 * reprobe_every_, 16 * kReprobeEvery) : kReprobeEvery;
    chosen_mean_ = std::min(mc, m1);
    phase_ = Phase::none;
    since_probe_ = 0;
    return;
  }
  ++since_probe_;
  window_.push_back(seconds);
  if (int(window_.size()) == kWindow) {
    const double wm = mean(window_);
    window_.clear();
    if (wm > kSlowdown * chosen_mean_) {
      evidence_ = chosen_ == configured_ ? wm : 0;
      return start_probe();
    }
  }
  if (since_probe_ >= reprobe_every_) start_probe();
}

}  // namespace nabla::detail
