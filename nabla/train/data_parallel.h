#pragma once
// Data-parallel training as the trainer sees it (Keras's distribution strategy, Horovod's DistributedOptimizer):
// every process ("replica") holds the whole model, trains on its own shard of each global batch, and the replicas
// average their gradients before every update, so that they stay identical. train/ knows no MPI: a strategy in
// dist/ (dist::MultiWorkerMirroredStrategy) implements this interface, and models compiled inside its scope()
// train through it. See docs/distributed.md.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nabla/core/tensor.h"
#include "nabla/train/callback.h"

namespace nabla {

class Model;
struct FitOptions;

class DataParallel {
 public:
  virtual ~DataParallel() = default;
  virtual int replica_id() const = 0;    // this process's rank, 0 = the chief
  virtual int num_replicas() const = 0;  // processes training together
  bool is_chief() const { return replica_id() == 0; }

  // Start of fit: this replica's weights and optimizer state become the chief's.
  virtual void sync_model(Model& model) = 0;
  // The same number on every replica (drawn on the chief): the sharded data's shuffle seed.
  virtual uint64_t shared_seed() = 0;
  // Around one step's backward: begin makes the gradients of params (the same list on every replica) average
  // across replicas as backward produces them; weight is this replica's share of the global batch (its rows /
  // all rows), so that the average is the single-process gradient over the global batch. end waits for what is
  // still in flight and leaves the averaged gradients in params' .grad.
  virtual void begin_backward(const std::vector<Tensor>& params, double weight) = 0;
  virtual void end_backward() = 0;
  // A step in which this replica has no data (its shard ran dry): it contributes nothing and receives the others'
  // averaged gradients (Horovod's join), so nobody waits for it.
  virtual void join_step(const std::vector<Tensor>& params) = 0;
  // Sums across replicas, in place.
  virtual void allreduce_sum(std::vector<double>& values) = 0;
};

// Keras's `with strategy.scope():`. Models compiled while a scope is alive train with its strategy (which must
// outlive them).
class DataParallelScope {
 public:
  explicit DataParallelScope(DataParallel* strategy);
  ~DataParallelScope();
  DataParallelScope(const DataParallelScope&) = delete;
  DataParallelScope& operator=(const DataParallelScope&) = delete;

 private:
  DataParallel* prev_;
};
DataParallel* current_data_parallel();  // nullptr outside any scope

namespace detail {

struct Batch;

// fit's options on this replica: the chief keeps them; other replicas train silently (verbose 0) and leave out
// the callbacks that write files (ModelCheckpoint, CSVLogger): logs and checkpoints come from the chief.
FitOptions replica_fit_options(const DataParallel* dp, const FitOptions& opts);
// True on every replica when any replica wants to stop (so that they leave the loop at the same step). With
// `agree` false (no callbacks that could decide differently) this is just the local flag, and no collective.
bool replicas_stop(DataParallel* dp, bool stop, bool agree);
// Averages values (the same names in the same order everywhere) across replicas.
void average_values(DataParallel* dp, std::vector<std::pair<std::string, double>>& values);
// For data whose global batch is not known in advance (datasets): sums this step's rows over the replicas into
// b.global_rows; a replica without a batch (have false) gets an empty one and joins. False when no replica has
// data left (the epoch is over everywhere).
bool agree_on_batch(DataParallel* dp, bool have, Batch& b);
// This replica's share of b's global batch (1/N when the global size is unknown).
double replica_weight(const DataParallel& dp, const Batch& b);

}  // namespace detail
}  // namespace nabla
