#pragma once
// Data adapters (Keras's trainers/data_adapters): what fit/evaluate read batch by batch. Tensors in memory are
// sliced, or gathered in a shuffled order; a dataset's elements are already batches (x, y[, sample_weight]).
// Internal to train/.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nabla/data/dataset.h"

namespace nabla::detail {

// One batch: inputs and targets (one per model input/output) and their weights.
struct Batch {
  std::vector<Tensor> xs, ys;
  Tensor sw;                // the data's sample weights (and class_weight's, which needs a single output)
  std::vector<Tensor> sws;  // per output, only with class_weights; empty keeps the common path allocation-free
  // Data-parallel fit: the rows of this step's global batch over all replicas (-1: one process). Empty xs: this
  // replica has no rows in this step and joins the others' (train/data_parallel.h).
  int64_t global_rows = -1;
  const Tensor& weight(size_t output) const { return sws.empty() ? sw : sws[output]; }
};
// Fills the next batch of an epoch; false at the end of the data.
using NextBatch = std::function<bool(Batch&)>;

int64_t rows(const Tensor& t);  // the batch axis' length (1 for a scalar)
std::vector<Tensor> slice_rows(const std::vector<Tensor>& ts, int64_t begin, int64_t end);
// Every input and target has the same number of samples; names the first that differs.
void check_rows(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, const char* who);
// Throws if a float tensor holds NaN or Inf, naming the sample and the position within it.
void check_finite(const Tensor& t, const char* what);
// The float dtype a model's inputs are given in: its weights' (float64 for a model built in float64), else float32,
// as Keras casts inputs to floatx.
DType input_float_dtype(const std::vector<Tensor>& weights);
// xs with every floating tensor of another dtype converted to `dtype`.
void cast_floating(std::vector<Tensor>& xs, DType dtype);

// Tensors in memory, batch_size rows at a time. Unshuffled batches are views (slices); shuffled ones gather
// their rows from a permutation drawn afresh at the start of each pass (one copy of the batch's rows, no
// per-sample tensors). The position in the data carries over epochs when steps_per_epoch cuts passes short.
class TensorAdapter {
 public:
  TensorAdapter(std::vector<Tensor> xs, std::vector<Tensor> ys, Tensor sample_weight, int64_t batch_size,
                bool shuffle);
  int64_t num_batches() const { return (n_ + batch_size_ * replicas_ - 1) / (batch_size_ * replicas_); }
  // The next batch; at the end of the data it starts a new pass (fit counts steps; evaluate uses one pass).
  void next(Batch& b);
  // Floating inputs of another dtype are converted batch by batch (numpy's float64 into a float32 model), never as
  // a whole: no second copy of the data, and the conversion's cost spreads over the steps.
  void cast_inputs_to(DType dtype) { cast_ = dtype; }
  // Where the data stands: the pass's order and the next row (BackupAndRestore saves and restores them).
  const std::vector<int64_t>& order() const { return order_; }
  int64_t cursor() const { return cursor_; }
  // Checks that `order` is a permutation of the rows (or empty without shuffle) and `cursor` within them.
  void set_position(std::vector<int64_t> order, int64_t cursor);
  // Data-parallel: this replica reads its part of each global batch of batch_size * replicas rows (batch_size is
  // per replica): the global batch is split evenly, so shards are disjoint and together cover every pass. The
  // order is reshuffled every pass from `seed`, identically on every replica.
  void shard(int replica, int replicas, uint64_t seed);
  // Sharded: the shared shuffle seed and the passes drawn from it (pass p's order is the previous order shuffled
  // by splitmix64(seed + p)); BackupAndRestore saves both, so that a resumed job, also on another number of
  // processes, draws the next passes' orders as the uninterrupted one (whatever seed its own start drew).
  std::optional<uint64_t> shuffle_seed() const { return seed_; }
  uint64_t passes() const { return pass_; }
  void set_shuffle_state(uint64_t seed, uint64_t passes) {
    seed_ = seed;
    pass_ = passes;
  }
  // Global batches left in the current pass (from cursor() to the end of the data).
  int64_t batches_left() const {
    return (n_ - cursor_ + batch_size_ * replicas_ - 1) / (batch_size_ * replicas_);
  }

 private:
  std::vector<Tensor> xs_, ys_;
  Tensor sw_;
  int64_t n_, batch_size_;
  bool shuffle_;
  std::vector<int64_t> order_;
  int64_t cursor_ = 0;
  int replica_ = 0, replicas_ = 1;
  std::optional<uint64_t> seed_;  // sharded: the shared shuffle seed
  std::optional<DType> cast_;
  uint64_t pass_ = 0;
};

// A dataset whose elements are batches (x, y[, sample_weight]): one iterator per epoch or, with
// steps_per_epoch, one iterator continued across epochs (as Keras) that restarts when it runs dry.
class DatasetAdapter {
 public:
  DatasetAdapter(const data::Dataset& dataset, bool continue_across_epochs, const char* who);
  void begin_epoch();
  bool next(Batch& b);
  std::optional<data::PipelineStats> stats() const;
  // Where the data stands, for BackupAndRestore: the passes (iterators) made before the current one, and the
  // elements taken from the current one. at_epoch_end: fit has just finished an epoch (without
  // continue_across_epochs the next epoch starts a fresh pass, so the current one counts as made before).
  std::pair<int64_t, int64_t> position(bool at_epoch_end) const;
  // Continues at a saved position: makes and drops `passes` passes first, so that every stage that draws a seed
  // per pass (shuffle with reshuffle_each_iteration, sample_from_datasets, rejection_resample) draws for the
  // next pass the seed the uninterrupted run drew, then the next pass skips `taken` elements. Exact for a
  // pipeline built afresh as the interrupted one was (a restarted process); see callbacks/backup_and_restore.h.
  void resume_at(int64_t passes, int64_t taken);

 private:
  void start_pass();
  bool take(Batch& b);
  const data::Dataset& dataset_;
  bool continue_;
  const char* who_;
  std::optional<data::Iterator> it_;
  int64_t passes_ = 0;  // iterators made
  int64_t taken_ = 0;   // elements taken from it_
  int64_t skip_ = 0;    // elements the next pass skips (resume_at)
};

// Reads (x, y[, sample_weight]) from a pipeline element into b, naming what is wrong with it.
bool unpack(std::optional<data::Element> e, Batch& b, const char* who);

}  // namespace nabla::detail
