#include "nabla/train/progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

namespace nabla {

std::string format_duration(double s) {
  char buf[32];
  if (s >= 1)
    std::snprintf(buf, sizeof buf, "%.0fs", s);
  else if (s >= 1e-3)
    std::snprintf(buf, sizeof buf, "%.0fms", s * 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0fus", s * 1e6);
  return buf;
}

std::string format_rate(double steps_per_second) {
  char buf[32];
  if (steps_per_second >= 100)
    std::snprintf(buf, sizeof buf, "%.0f steps/s", steps_per_second);
  else if (steps_per_second >= 1)
    std::snprintf(buf, sizeof buf, "%.1f steps/s", steps_per_second);
  else
    std::snprintf(buf, sizeof buf, "%.3f steps/s", steps_per_second);
  return buf;
}

ProgressBar::ProgressBar(int64_t target, int verbose, std::ostream& out)
    : target_(target), verbose_(verbose), out_(out), start_(std::chrono::steady_clock::now()), last_draw_(start_) {
  dynamic_ = (&out == &std::cout && isatty(STDOUT_FILENO)) || (&out == &std::cerr && isatty(STDERR_FILENO));
}

std::string ProgressBar::format_values(const std::vector<std::pair<std::string, double>>& values) const {
  std::string s;
  char buf[64];
  for (const auto& [k, v] : values) {
    double a = std::abs(v);
    if (a != 0 && (a < 1e-3 || a >= 1e4))
      std::snprintf(buf, sizeof buf, " - %s: %.4e", k.c_str(), v);
    else
      std::snprintf(buf, sizeof buf, " - %s: %.4f", k.c_str(), v);
    s += buf;
  }
  return s;
}

void ProgressBar::update(int64_t current, const std::vector<std::pair<std::string, double>>& values, bool finalize) {
  if (verbose_ <= 0) return;
  auto now = std::chrono::steady_clock::now();
  double elapsed = std::chrono::duration<double>(now - start_).count();
  if (!finalize && (!dynamic_ || verbose_ != 1 || std::chrono::duration<double>(now - last_draw_).count() < 0.05))
    return;
  last_draw_ = now;
  std::ostringstream line;
  if (verbose_ == 1) {
    int digits = target_ > 0 ? int(std::to_string(target_).size()) : 1;
    char head[64];
    if (target_ > 0) {
      std::snprintf(head, sizeof head, "%*lld/%lld [", digits, static_cast<long long>(current),
                    static_cast<long long>(target_));
      line << head;
      constexpr int width = 30;
      int filled = int(width * std::min<double>(1.0, double(current) / double(target_)));
      for (int i = 0; i < width; ++i) line << (i < filled - 1 || (i == filled - 1 && current >= target_) ? '=' : i == filled - 1 ? '>' : '.');
      line << "]";
    } else {
      line << current << "/Unknown";
    }
    double per_step = current > 0 ? elapsed / double(current) : 0;
    if (finalize || (target_ > 0 && current >= target_)) {
      line << " - " << format_duration(elapsed) << " " << format_duration(per_step) << "/step";
    } else if (target_ > 0) {
      line << " - ETA: " << format_duration(per_step * double(target_ - current));
    } else {
      line << " - " << format_duration(elapsed);
    }
    if (current > 0 && elapsed > 0) line << " - " << format_rate(double(current) / elapsed);
    line << format_values(values);
    std::string s = line.str();
    if (dynamic_) {
      out_ << '\r' << s;
      if (s.size() < last_width_) out_ << std::string(last_width_ - s.size(), ' ');
      last_width_ = s.size();
      if (finalize) out_ << '\n';
    } else if (finalize) {
      out_ << s << '\n';
    }
    out_.flush();
  } else if (verbose_ == 2 && finalize) {
    double per_step = current > 0 ? elapsed / double(current) : 0;
    line << current << "/" << (target_ > 0 ? target_ : current) << " - " << format_duration(elapsed)
         << format_values(values) << " - " << format_duration(elapsed) << "/epoch - " << format_duration(per_step)
         << "/step";
    if (current > 0 && elapsed > 0) line << " - " << format_rate(double(current) / elapsed);
    out_ << line.str() << '\n';
    out_.flush();
  }
}

}  // namespace nabla
