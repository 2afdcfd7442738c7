#pragma once
// MpiCommunicator: Communicator over MPI (Debian's Open MPI). Every MPI call runs on one dedicated thread, which
// initialises MPI with MPI_THREAD_FUNNELED (only it ever calls MPI), so the training thread never blocks in MPI:
// it queues a collective and goes on with backward while the comm thread drives it. Collectives are MPI-3
// non-blocking ones (MPI_Iallreduce, ...) polled by the comm thread, which also enforces the timeout: a collective
// that has not completed after `timeout_seconds` (a peer died, hangs, or took another path) aborts the whole job
// with MPI_Abort, so mpirun exits non-zero instead of hanging. A peer process that dies outright is seen by
// mpirun, which ends the job at once.
#include <memory>

#include "nabla/dist/communicator.h"

namespace nabla::dist {

struct MpiOptions {
  // Collectives that take longer abort the job. The environment variable NABLA_DIST_TIMEOUT (seconds) overrides.
  double timeout_seconds = 300;
};

class MpiCommunicator : public Communicator {
 public:
  // Initialises MPI (MPI_Init_thread on the comm thread); MPI must not have been initialised by the program.
  explicit MpiCommunicator(MpiOptions options = {});
  // Finalises MPI after the collectives in flight complete; during stack unwinding from an exception it aborts the
  // job instead (the other processes would otherwise wait for this one until their timeout).
  ~MpiCommunicator() override;
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  int rank() const override;
  int size() const override;
  // Processes of this job on this machine (MPI_COMM_TYPE_SHARED): they share its cores.
  int local_size() const;
  WorkPtr allreduce_async(void* data, int64_t count, DType dtype, ReduceOp op) override;
  void broadcast(void* data, int64_t bytes, int root) override;
  void allgather(const void* send, int64_t bytes, void* recv) override;
  void barrier() override;
  // Ends the whole job now with this exit code (MPI_Abort), from any thread.
  [[noreturn]] void abort(int code);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nabla::dist
