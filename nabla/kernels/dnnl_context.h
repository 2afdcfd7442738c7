#pragma once
// The process-wide oneDNN engine and stream (CPU), shared by every kernel that calls oneDNN.
#include <oneapi/dnnl/dnnl.hpp>

namespace nabla::kernels {

dnnl::engine& dnnl_engine();
dnnl::stream& dnnl_stream();

// Sets OpenMP's thread count for the oneDNN call in its scope (oneDNN reads omp_get_max_threads()).
class DnnlThreads {
 public:
  explicit DnnlThreads(int n);
  ~DnnlThreads();
  DnnlThreads(const DnnlThreads&) = delete;
  DnnlThreads& operator=(const DnnlThreads&) = delete;

 private:
  int prev_;
};

}  // namespace nabla::kernels
