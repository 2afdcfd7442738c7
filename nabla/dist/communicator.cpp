#include "nabla/dist/communicator.h"

namespace nabla::dist {

void Communicator::allreduce(Tensor& t, ReduceOp op) {
  NABLA_CHECK(t.is_contiguous(), "allreduce: the tensor must be contiguous");
  allreduce(t.raw_data(), t.numel(), t.dtype(), op);
}

void Communicator::broadcast(Tensor& t, int root) {
  NABLA_CHECK(t.is_contiguous(), "broadcast: the tensor must be contiguous");
  broadcast(t.raw_data(), int64_t(t.nbytes()), root);
}

Tensor Communicator::allgather(const Tensor& t) {
  Tensor src = t.contiguous();
  std::vector<int64_t> dims{size()};
  for (int i = 0; i < src.dim(); ++i) dims.push_back(src.size(i));
  Tensor out = Tensor::empty(Shape(dims), src.dtype());
  allgather(src.raw_data(), int64_t(src.nbytes()), out.raw_data());
  return out;
}

}  // namespace nabla::dist
