#pragma once
// Communicator: the collectives data-parallel training needs (Horovod's and torch.distributed's vocabulary):
// allreduce, broadcast, allgather, barrier, rank and size. MpiCommunicator (mpi_communicator.h) implements it over
// Open MPI; another engine (Gloo) is added as one more implementation of this interface.
#include <chrono>
#include <cstdint>
#include <memory>

#include "nabla/core/tensor.h"

namespace nabla::dist {

enum class ReduceOp { sum, max, min };

// A collective in flight. wait() returns when it has completed on this process; the buffers it was given must
// stay alive and untouched until then.
class Work {
 public:
  virtual ~Work() = default;
  virtual void wait() = 0;
  virtual bool done() const = 0;
  // When the collective started and completed (steady clock): how long communication took, for the overlap
  // figures. Valid after wait().
  virtual std::chrono::steady_clock::time_point started_at() const = 0;
  virtual std::chrono::steady_clock::time_point finished_at() const = 0;
};
using WorkPtr = std::shared_ptr<Work>;

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Every process calls each collective, in the same order.
  // In place over `count` elements of `dtype` (f32, f64, i64, i32); returns at once, the result is there after
  // wait(). Several may be in flight; they complete in the order they were started.
  virtual WorkPtr allreduce_async(void* data, int64_t count, DType dtype, ReduceOp op) = 0;
  // Blocking: root's `bytes` bytes to every process.
  virtual void broadcast(void* data, int64_t bytes, int root) = 0;
  // Blocking: rank i's `bytes` bytes land at recv + i * bytes (recv holds size() * bytes).
  virtual void allgather(const void* send, int64_t bytes, void* recv) = 0;
  virtual void barrier() = 0;

  // ---- conveniences over the above ----
  void allreduce(void* data, int64_t count, DType dtype, ReduceOp op = ReduceOp::sum) {
    allreduce_async(data, count, dtype, op)->wait();
  }
  void allreduce(Tensor& t, ReduceOp op = ReduceOp::sum);  // t contiguous
  void broadcast(Tensor& t, int root = 0);                 // t contiguous, same shape and dtype everywhere
  Tensor allgather(const Tensor& t);                       // [size(), *t.shape()]
};

}  // namespace nabla::dist
