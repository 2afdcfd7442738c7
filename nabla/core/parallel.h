#pragma once
// Intra-op parallelism. Kernels call parallel_for, which runs on OpenMP (the runtime oneDNN uses too, so the
// two never oversubscribe each other). The thread count is one setting: set_num_threads / NABLA_NUM_THREADS.
// Small loops run inline: on 2-vCPU machines, waking a second thread for a tiny op costs more than it saves.
#include <cstdint>

namespace nabla {

int get_num_threads();
void set_num_threads(int n);

// Threads worth using for `work` units of work (~ one flop or byte each), capped by get_num_threads().
int threads_for(int64_t work);

template <class F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, F&& fn);

}  // namespace nabla

#include <omp.h>

namespace nabla {

template <class F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, F&& fn) {
  int64_t n = end - begin;
  if (n <= 0) return;
  int nt = threads_for(n * grain);
  if (nt <= 1) {
    fn(begin, end);
    return;
  }
#pragma omp parallel num_threads(nt)
  {
    int tid = omp_get_thread_num();
    int cnt = omp_get_num_threads();
    int64_t chunk = (n + cnt - 1) / cnt;
    int64_t b = begin + tid * chunk;
    int64_t e = b + chunk < end ? b + chunk : end;
    if (b < e) fn(b, e);
  }
}

}  // namespace nabla
