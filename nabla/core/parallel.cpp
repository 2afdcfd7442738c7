#include "nabla/core/parallel.h"

#include <atomic>
#include <cstdlib>
#include <thread>

namespace nabla {
namespace {

int initial_threads() {
  if (const char* env = std::getenv("NABLA_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc ? int(hc) : 1;
}

std::atomic<int>& num_threads() {
  static std::atomic<int> n{[] {
    int v = initial_threads();
    omp_set_num_threads(v);
    return v;
  }()};
  return n;
}

}  // namespace

int get_num_threads() { return num_threads().load(std::memory_order_relaxed); }

void set_num_threads(int n) {
  if (n < 1) n = 1;
  num_threads().store(n);
  omp_set_num_threads(n);
}

int threads_for(int64_t work) {
  int nt = get_num_threads();
  if (nt <= 1 || omp_in_parallel()) return 1;
  // Below ~1M units a second thread's wake-up (several microseconds) outweighs the work it takes over.
  constexpr int64_t kPerThread = 1 << 20;
  int64_t want = work / kPerThread;
  if (want < 2) return 1;
  return want < nt ? int(want) : nt;
}

}  // namespace nabla
