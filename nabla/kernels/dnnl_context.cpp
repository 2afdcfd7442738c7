#include "nabla/kernels/dnnl_context.h"

#include <omp.h>

namespace nabla::kernels {

dnnl::engine& dnnl_engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::stream& dnnl_stream() {
  thread_local dnnl::stream s(dnnl_engine());
  return s;
}

DnnlThreads::DnnlThreads(int n) : prev_(omp_get_max_threads()) {
  if (n != prev_) omp_set_num_threads(n);
}
DnnlThreads::~DnnlThreads() {
  if (omp_get_max_threads() != prev_) omp_set_num_threads(prev_);
}

}  // namespace nabla::kernels
