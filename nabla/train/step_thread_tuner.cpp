#include "nabla/train/step_thread_tuner.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "nabla/core/parallel.h"

namespace nabla::detail {
namespace {

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(v.size() / 2), v.end());
  return v[v.size() / 2];
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
  if (!probing()) return chosen_;
  return probe_step_ % 2 == 0 ? configured_ : 1;
}

void StepThreadTuner::start_probe() {
  probe_step_ = 0;
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
    if (probe_step_ >= 2) (probe_step_ % 2 == 0 ? times_configured_ : times_one_).push_back(seconds);
    if (++probe_step_ < 2 * (kProbeSteps + 1)) return;
    const double mc = median(times_configured_), m1 = median(times_one_);
    chosen_ = m1 < mc ? 1 : configured_;
    chosen_median_ = std::min(mc, m1);
    probe_step_ = -1;
    since_probe_ = 0;
    return;
  }
  ++since_probe_;
  window_.push_back(seconds);
  if (int(window_.size()) == kWindow) {
    const bool slowed = median(window_) > kSlowdown * chosen_median_;
    window_.clear();
    if (slowed) return start_probe();
  }
  if (since_probe_ >= kReprobeEvery) start_probe();
}

}  // namespace nabla::detail
