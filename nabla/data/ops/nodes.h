#pragma once
// Factories of the pipeline's nodes, one source or transformation per .cpp file beside this header, and the few
// node types other stages look into (the fast gather path recognises slices -> shuffle -> batch).
#include <atomic>
#include <functional>
#include <mutex>
#include <vector>

#include "nabla/data/node.h"

namespace nabla::data {
class Dataset;
}

namespace nabla::data::detail {

using MapFn = std::function<Element(Element)>;

// ---- sources ----
class TensorSlicesNode final : public DatasetNode {
 public:
  explicit TensorSlicesNode(std::vector<Tensor> tensors);
  const std::vector<Tensor>& tensors() const { return tensors_; }
  int64_t rows() const { return rows_; }
  std::string name() const override { return "tensor_slices"; }
  int64_t cardinality() const override { return rows_; }
  std::string fingerprint() const override;

 protected:
  IterPtr make(const IterContext& ctx, StageCounters* c) const override;

 private:
  std::vector<Tensor> tensors_;
  int64_t rows_ = 0;
};

NodePtr make_tensors_node(std::vector<Tensor> tensors);
NodePtr make_range_node(int64_t start, int64_t stop, int64_t step);
NodePtr make_generator_node(std::function<std::function<std::optional<Element>()>()> make, int64_t cardinality);
NodePtr make_list_files_node(const std::string& pattern);

// ---- shuffle ----
class ShuffleNode final : public DatasetNode {
 public:
  ShuffleNode(NodePtr input, int64_t buffer_size, uint64_t seed, bool reshuffle);
  const NodePtr& input() const { return input_; }
  int64_t buffer_size() const { return buffer_size_; }
  // The seed of the next pass: the same each pass unless reshuffle_each_iteration.
  uint64_t next_epoch_seed() const;
  std::string name() const override;
  int64_t cardinality() const override { return input_->cardinality(); }
  std::string fingerprint() const override;

 protected:
  IterPtr make(const IterContext& ctx, StageCounters* c) const override;

 private:
  NodePtr input_;
  int64_t buffer_size_;
  uint64_t seed_;
  bool reshuffle_;
  mutable std::atomic<uint64_t> epoch_{0};
};

// ---- prefetch ----
class PrefetchNode final : public DatasetNode {
 public:
  PrefetchNode(NodePtr input, int64_t buffer);
  std::string name() const override;
  int64_t cardinality() const override { return input_->cardinality(); }
  std::string fingerprint() const override;
  // A pass started in the background when the previous root pass reached its end, so that an epoch's first
  // element is ready at once; empty if none.
  struct Prewarmed {
    std::shared_ptr<StatsRegistry> stats;  // declared first: outlives the iterator that counts into it
    IterPtr iter;
  };
  std::optional<Prewarmed> take_prewarmed() const;

 protected:
  IterPtr make(const IterContext& ctx, StageCounters* c) const override;

 private:
  void prewarm() const;
  NodePtr input_;
  int64_t buffer_;
  mutable std::mutex mu_;
  mutable std::optional<Prewarmed> prewarmed_;
  mutable bool creating_ = false, prewarm_wanted_ = false;
};

// A buffer of up to `buffer` (or AUTOTUNE) elements filled from input by a task on the shared pool.
// on_input_end runs (on the pool) when the input is exhausted.
IterPtr make_prefetch_iterator(IterPtr input, int64_t buffer, const IterContext& ctx, StageCounters* c,
                               std::function<void()> on_input_end = {});

// ---- transformations ----
NodePtr make_map_node(NodePtr input, MapFn fn, int64_t num_parallel_calls, bool deterministic);
NodePtr make_filter_node(NodePtr input, std::function<bool(const Element&)> pred);
NodePtr make_batch_node(NodePtr input, int64_t n, bool drop_remainder);
NodePtr make_padded_batch_node(NodePtr input, int64_t n, std::vector<Shape> shapes, std::vector<double> values,
                               bool drop_remainder);
NodePtr make_unbatch_node(NodePtr input);
NodePtr make_rebatch_node(NodePtr input, int64_t n, bool drop_remainder);
NodePtr make_cache_node(NodePtr input, const std::string& path);
NodePtr make_repeat_node(NodePtr input, int64_t count);
NodePtr make_take_node(NodePtr input, int64_t n);
NodePtr make_skip_node(NodePtr input, int64_t n);
NodePtr make_shard_node(NodePtr input, int64_t num, int64_t index);
NodePtr make_interleave_node(NodePtr input, std::function<Dataset(const Element&)> fn, int64_t cycle_length,
                             int64_t block_length, int64_t num_parallel_calls);
NodePtr make_zip_node(std::vector<NodePtr> inputs);
NodePtr make_concatenate_node(NodePtr a, NodePtr b);
NodePtr make_enumerate_node(NodePtr input, int64_t start);
NodePtr make_sample_node(std::vector<NodePtr> inputs, std::vector<double> weights, uint64_t seed, bool stop_on_empty);

// ---- helpers shared by stages ----
// Stacks same-shaped tensors along a new axis 0 (one output buffer, memcpy-level copies). `what` names the
// stage in errors.
Tensor stack_rows(const std::vector<Tensor>& parts, const char* what);
// The fast path for slices [-> shuffle] -> batch: gathers rows by index, no per-element tensors.
IterPtr make_fast_batch_iterator(const TensorSlicesNode& src, const ShuffleNode* shuffle, int64_t n, bool drop);
// A seed from nabla's default generator, for stages given none.
uint64_t draw_seed();
// Wraps the exception in flight as a PipelineError naming the stage and the element index.
std::exception_ptr wrap_error(const char* stage, int64_t index);

}  // namespace nabla::data::detail
