#pragma once
// Clock and statistics for the bench programs, nabla's and the LibTorch ones alike (bench/libtorch includes this
// too), so both sides summarize their timings the same way. Depends on the standard library only.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

namespace nabla::bench {

using Clock = std::chrono::steady_clock;
inline double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The q-quantile (0 < q <= 1) by nearest rank: a value that was measured, as p99 latency figures are.
inline double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  size_t rank = size_t(std::ceil(q * double(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace nabla::bench
