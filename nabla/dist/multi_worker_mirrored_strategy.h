#pragma once
// MultiWorkerMirroredStrategy (Keras's name; Horovod's DistributedOptimizer): synchronous data-parallel training
// across processes started by `mpirun -np N program`. Every process holds a full copy ("mirror") of the model;
// each trains on its own shard of every global batch; gradients are averaged by bucketed allreduce overlapped
// with backward, so every replica applies the same update and stays identical. Models compiled inside scope()
// train this way:
//
//   dist::MultiWorkerMirroredStrategy strategy;            // initialises MPI
//   auto scope = strategy.scope();
//   Sequential model({...});
//   model.compile(...);                                    // trains data-parallel
//   model.fit(x, y, {.batch_size = 32});                   // 32 rows per replica per step
//
// batch_size is per replica: the global batch is num_replicas_in_sync() * batch_size, and the epoch has
// ceil(N / global batch) steps. Scale the learning rate with the global batch as for any larger batch (the
// examples use the linear rule, lr * num_replicas_in_sync()). Rank 0 (the chief) prints the progress bar and
// writes checkpoints and CSV logs; the other replicas' std::cout is silenced (quiet_workers). See
// docs/distributed.md.
#include <memory>
#include <streambuf>

#include "nabla/dist/communicator.h"
#include "nabla/dist/gradient_buckets.h"
#include "nabla/train/data_parallel.h"

namespace nabla::dist {

struct StrategyOptions {
  // Gradient buckets of about this size start their allreduce as soon as backward has filled them: small enough
  // to start early, large enough that per-message latency does not dominate (Horovod fuses up to 64 MB, PyTorch
  // DDP 25 MB; for CPU models of a few MB, a few MB).
  int64_t bucket_bytes = 4 << 20;
  // Replicas other than the chief write nothing to std::cout (their progress would repeat the chief's).
  bool quiet_workers = true;
  // A collective not completed after this long aborts the whole job (NABLA_DIST_TIMEOUT overrides).
  double timeout_seconds = 300;
};

class MultiWorkerMirroredStrategy : public DataParallel {
 public:
  // Over MPI (MpiCommunicator). Unless NABLA_NUM_THREADS is set, each process uses its share of this machine's
  // cores (cores / processes on the machine), so that N processes on one machine do not oversubscribe it.
  explicit MultiWorkerMirroredStrategy(StrategyOptions options = {});
  // Over any other engine.
  MultiWorkerMirroredStrategy(std::unique_ptr<Communicator> comm, StrategyOptions options = {});
  ~MultiWorkerMirroredStrategy() override;

  int num_replicas_in_sync() const { return comm_->size(); }
  // Keras's `with strategy.scope():` — models compiled while the returned object lives train with this strategy.
  DataParallelScope scope() { return DataParallelScope(this); }
  Communicator& communicator() { return *comm_; }
  // Overlap of gradient communication with backward, accumulated over steps.
  const OverlapStats& overlap_stats() const { return buckets_.stats(); }
  void reset_overlap_stats() { buckets_.reset_stats(); }

  // ---- DataParallel ----
  int replica_id() const override { return comm_->rank(); }
  int num_replicas() const override { return comm_->size(); }
  void sync_model(Model& model) override;
  uint64_t shared_seed() override;
  void begin_backward(const std::vector<Tensor>& params, double weight) override;
  void end_backward() override;
  void join_step(const std::vector<Tensor>& params) override;
  void allreduce_sum(std::vector<double>& values) override;

 private:
  void quiet_if_worker();
  StrategyOptions options_;
  std::unique_ptr<Communicator> comm_;
  GradientBuckets buckets_;
  Model* unsynced_ = nullptr;  // fit began before the model had weights: synced at its first backward
  std::streambuf* cout_buf_ = nullptr;
  std::unique_ptr<std::streambuf> null_buf_;
};

}  // namespace nabla::dist
