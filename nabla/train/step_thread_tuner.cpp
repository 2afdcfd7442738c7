#include "nabla/train/step_thread_tuner.h"

#include <dirent.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "nabla/core/parallel.h"

namespace nabla::detail {
namespace {

double total(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return sum;
}
double mean(const std::vector<double>& v) { return v.empty() ? 0.0 : total(v) / double(v.size()); }

bool enabled_by_env() {
  const char* v = std::getenv("NABLA_ADAPTIVE_THREADS");
  return !(v && std::strcmp(v, "0") == 0);
}

}  // namespace

StepThreadTuner::StepThreadTuner(int configured, bool enabled, IdleCpus idle_cpus)
    : configured_(configured), active_(enabled && configured > 1), chosen_(configured),
      idle_cpus_(std::move(idle_cpus)) {
  if (active_) start_probe();
}

StepThreadTuner::StepThreadTuner() : StepThreadTuner(get_num_threads(), enabled_by_env(), system_idle_cpus) {}

int StepThreadTuner::idle_cpus(const std::string& loadavg, int online, int own_running) {
  std::istringstream in(loadavg);
  std::string a, b, c, tasks;
  if (online < 1 || !(in >> a >> b >> c >> tasks)) return -1;
  const size_t slash = tasks.find('/');
  if (slash == std::string::npos || slash == 0) return -1;
  int running = 0;
  for (size_t i = 0; i < slash; ++i) {
    if (tasks[i] < '0' || tasks[i] > '9' || running > 1000000) return -1;
    running = running * 10 + (tasks[i] - '0');
  }
  return std::max(0, online - std::max(0, running - own_running));
}

int StepThreadTuner::system_idle_cpus() {
  static const int online = [] {
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t set;
    CPU_ZERO(&set);
    if (n < 1 || sched_getaffinity(0, sizeof set, &set) != 0 || CPU_COUNT(&set) != n) return -1;
    return int(n);
  }();
  if (online < 1) return -1;
  std::ifstream f("/proc/loadavg");
  std::string text;
  if (!std::getline(f, text)) return -1;
  // This process's other running threads: OpenMP workers still spinning after the last parallel region (they do
  // for ~10 ms, longer than kSettleSeconds) are running tasks, but the cores they hold are ours to use.
  int own = 0;
  if (DIR* dir = opendir("/proc/self/task")) {
    const std::string self = std::to_string(gettid());
    while (const dirent* e = readdir(dir)) {
      if (e->d_name[0] == '.' || self == e->d_name) continue;
      std::ifstream stat(std::string("/proc/self/task/") + e->d_name + "/stat");
      std::string line;
      std::getline(stat, line);
      const size_t paren = line.rfind(')');  // the state follows the name, which may hold spaces and parentheses
      own += paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'R';
    }
    closedir(dir);
  }
  return idle_cpus(text, online, own);
}

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
  phase_ = Phase::one;
  warmed_ = false;
  settled_ = 0;
  times_configured_.clear();
  times_one_.clear();
  window_.clear();
  samples_ = busy_samples_ = 0;
}

void StepThreadTuner::end_probe(double mean_configured, double mean_one, bool found_busy) {
  chosen_ = mean_one < mean_configured ? 1 : configured_;
  // While 1 thread keeps winning, probe half as often each time (up to every 16000 steps): each probe spends
  // steps at the configured count, which under steady contention is what made short fits 1.2x slower. A probe
  // that found no free CPU spent none, and leaves the interval as it was (the next one comes after kBusyRecheck).
  if (!found_busy)
    reprobe_every_ = chosen_ == 1 ? std::min(2 * reprobe_every_, 16 * kReprobeEvery) : kReprobeEvery;
  found_busy_ = found_busy;
  evidence_ = 0;
  chosen_mean_ = std::min(mean_configured, mean_one);
  phase_ = Phase::none;
  since_probe_ = 0;
}

void StepThreadTuner::before_step() {
  if (active_ && get_num_threads() != threads()) set_num_threads(threads());
}

void StepThreadTuner::after_step(double seconds) {
  if (!active_) return;
  if (probing()) {
    std::vector<double>& times = phase_ == Phase::configured ? times_configured_ : times_one_;
    if (!warmed_) {  // at 1 thread, untimed until the spinning workers rest; one untimed step at the configured count
      settled_ += seconds;
      warmed_ = phase_ == Phase::configured || settled_ >= kSettleSeconds;
      // Unless the untimed configured step alone took longer than the whole 1-thread block, and than kLostAlready:
      // it has lost already. Beside a busy process it waits 20-35 ms for the worker (traced); at idle it takes
      // 0.1-0.6 ms on W1 (a 1-thread step 0.13), its thread count's first primitives included.
      const bool lost_already = phase_ == Phase::configured &&
                                seconds > std::max(total(times_one_), kLostAlreadySeconds);
      if (!lost_already) return;
    }
    times.push_back(seconds);
    if (phase_ == Phase::one) {
      if (const int idle = idle_cpus_ ? idle_cpus_() : -1; idle >= 0) {
        ++samples_;
        busy_samples_ += idle == 0;
      }
      if (int(times.size()) < kProbeSteps) return;
      if (samples_ > 0 && 4 * busy_samples_ >= 3 * samples_)  // no free core for most of the block
        return end_probe(std::numeric_limits<double>::infinity(), mean(times_one_), /*found_busy=*/true);
      phase_ = Phase::configured;
      warmed_ = false;
      return;
    }
    // The configured block ends as soon as it can no longer win: under contention its steps wait scheduler time
    // slices (8-35 ms each, traced at fit start) for the worker on the busy core, and a whole block of them cost
    // W1's first epoch 0.46 s instead of 0.31 s.
    if (int(times.size()) < kProbeSteps && total(times) <= total(times_one_)) return;
    // The steps that made the last window slow down ran at the configured count: their mean counts too (a block
    // of a few steps can miss the rare long waits that window caught).
    return end_probe(std::max(mean(times_configured_), evidence_), mean(times_one_));
  }
  ++since_probe_;
  window_.push_back(seconds);
  if (int(window_.size()) == kWindow) {
    const double wm = mean(window_);
    window_.clear();
    // Only at the configured count: steps slowing down at 1 thread (another process now shares its core) would
    // not run faster on more threads, and each probe then costs a time slice or two (traced: a cascade of such
    // probes made a 2-epoch fit 0.2 s slower). The periodic probe still finds an idle machine again.
    if (chosen_ == configured_ && wm > kSlowdown * chosen_mean_) {
      evidence_ = wm;
      return start_probe();
    }
  }
  if (since_probe_ >= (found_busy_ ? kBusyRecheck : reprobe_every_)) start_probe();
}

}  // namespace nabla::detail
