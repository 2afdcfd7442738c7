#pragma once
// Keras's progress bar. verbose=1: a live bar ("  32/1875 [>....] - ETA: 5s - 310 steps/s - loss: 0.31 - ...")
// redrawn in place on a terminal, and only the final line when output is not a terminal (as Keras does);
// verbose=2: one summary line per epoch.
#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

namespace nabla {

class ProgressBar {
 public:
  // target: total steps, or -1 when unknown.
  ProgressBar(int64_t target, int verbose, std::ostream& out);
  void update(int64_t current, const std::vector<std::pair<std::string, double>>& values, bool finalize = false);

 private:
  std::string format_values(const std::vector<std::pair<std::string, double>>& values) const;
  int64_t target_;
  int verbose_;
  std::ostream& out_;
  bool dynamic_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  size_t last_width_ = 0;
};

// "1.2s", "350ms", "12us" in Keras's style.
std::string format_duration(double seconds);
// "312 steps/s", "4.5 steps/s", "0.250 steps/s".
std::string format_rate(double steps_per_second);

}  // namespace nabla
