#include "nabla/data/dataset.h"

#include "nabla/autograd/grad_mode.h"
#include "nabla/data/ops/nodes.h"

namespace nabla::data {

using namespace detail;

// ---- Iterator ----
Iterator::Iterator() = default;
Iterator::Iterator(std::shared_ptr<StatsRegistry> stats, IterPtr impl)
    : stats_(std::move(stats)), impl_(std::move(impl)) {}
Iterator::Iterator(Iterator&&) noexcept = default;
Iterator& Iterator::operator=(Iterator&&) noexcept = default;
Iterator::~Iterator() = default;

std::optional<Element> Iterator::next() {
  if (!impl_) return std::nullopt;
  // Pipeline work never records autograd history.
  NoGradGuard no_grad;
  return impl_->next();
}

PipelineStats Iterator::stats() const { return stats_ ? stats_->snapshot() : PipelineStats{}; }

// ---- Dataset ----
struct Dataset::StatsSlot {
  std::mutex mu;
  std::shared_ptr<StatsRegistry> last;
};

Dataset::Dataset(NodePtr node) : node_(std::move(node)), stats_slot_(std::make_shared<StatsSlot>()) {}

Dataset DatasetAccess::make(NodePtr node) { return Dataset(std::move(node)); }
const NodePtr& DatasetAccess::node(const Dataset& ds) { return ds.node_; }

Dataset Dataset::from_tensor_slices(std::vector<Tensor> tensors) {
  return Dataset(std::make_shared<TensorSlicesNode>(std::move(tensors)));
}
Dataset Dataset::from_tensors(std::vector<Tensor> tensors) { return Dataset(make_tensors_node(std::move(tensors))); }
Dataset Dataset::range(int64_t start, int64_t stop, int64_t step) { return Dataset(make_range_node(start, stop, step)); }
Dataset Dataset::from_generator(std::function<GeneratorFn()> make_generator, int64_t cardinality) {
  return Dataset(make_generator_node(std::move(make_generator), cardinality));
}
Dataset Dataset::list_files(const std::string& pattern, bool shuffle, std::optional<uint64_t> seed) {
  Dataset ds(make_list_files_node(pattern));
  if (!shuffle) return ds;
  int64_t n = ds.cardinality();
  return ds.shuffle(n, seed);
}
Dataset Dataset::zip(std::vector<Dataset> datasets) {
  std::vector<NodePtr> nodes;
  for (auto& d : datasets) nodes.push_back(d.node_);
  return Dataset(make_zip_node(std::move(nodes)));
}
Dataset Dataset::sample_from_datasets(std::vector<Dataset> datasets, std::vector<double> weights,
                                      std::optional<uint64_t> seed, bool stop_on_empty_dataset) {
  std::vector<NodePtr> nodes;
  for (auto& d : datasets) nodes.push_back(d.node_);
  return Dataset(make_sample_node(std::move(nodes), std::move(weights), seed ? *seed : draw_seed(),
                                  stop_on_empty_dataset));
}

Dataset Dataset::map(MapFn fn, int64_t num_parallel_calls, bool deterministic) const {
  return Dataset(make_map_node(node_, std::move(fn), num_parallel_calls, deterministic));
}
Dataset Dataset::filter(Predicate pred) const { return Dataset(make_filter_node(node_, std::move(pred))); }
Dataset Dataset::shuffle(int64_t buffer_size, std::optional<uint64_t> seed, bool reshuffle_each_iteration) const {
  return Dataset(std::make_shared<ShuffleNode>(node_, buffer_size, seed ? *seed : draw_seed(),
                                               reshuffle_each_iteration));
}
Dataset Dataset::batch(int64_t n, bool drop_remainder) const {
  return Dataset(make_batch_node(node_, n, drop_remainder));
}
Dataset Dataset::padded_batch(int64_t n, std::vector<Shape> padded_shapes, std::vector<double> padding_values,
                              bool drop_remainder) const {
  return Dataset(make_padded_batch_node(node_, n, std::move(padded_shapes), std::move(padding_values),
                                        drop_remainder));
}
Dataset Dataset::unbatch() const { return Dataset(make_unbatch_node(node_)); }
Dataset Dataset::rebatch(int64_t n, bool drop_remainder) const {
  return Dataset(make_rebatch_node(node_, n, drop_remainder));
}
Dataset Dataset::prefetch(int64_t n) const { return Dataset(std::make_shared<PrefetchNode>(node_, n)); }
Dataset Dataset::cache(const std::string& path) const { return Dataset(make_cache_node(node_, path)); }
Dataset Dataset::repeat(int64_t count) const { return Dataset(make_repeat_node(node_, count)); }
Dataset Dataset::take(int64_t n) const { return Dataset(make_take_node(node_, n)); }
Dataset Dataset::skip(int64_t n) const { return Dataset(make_skip_node(node_, n)); }
Dataset Dataset::shard(int64_t num_shards, int64_t index) const {
  return Dataset(make_shard_node(node_, num_shards, index));
}
Dataset Dataset::interleave(std::function<Dataset(const Element&)> fn, int64_t cycle_length, int64_t block_length,
                            int64_t num_parallel_calls) const {
  return Dataset(make_interleave_node(node_, std::move(fn), cycle_length, block_length, num_parallel_calls));
}
Dataset Dataset::concatenate(const Dataset& other) const { return Dataset(make_concatenate_node(node_, other.node_)); }
Dataset Dataset::enumerate(int64_t start) const { return Dataset(make_enumerate_node(node_, start)); }

Iterator Dataset::make_iterator() const {
  NoGradGuard no_grad;
  std::shared_ptr<StatsRegistry> stats;
  IterPtr impl;
  if (auto* p = dynamic_cast<const PrefetchNode*>(node_.get()))
    if (auto w = p->take_prewarmed()) {
      stats = std::move(w->stats);
      impl = std::move(w->iter);
    }
  if (!impl) {
    stats = std::make_shared<StatsRegistry>();
    impl = node_->iterate(IterContext{stats, 0, true});
  }
  {
    std::lock_guard<std::mutex> lk(stats_slot_->mu);
    stats_slot_->last = stats;
  }
  return Iterator(std::move(stats), std::move(impl));
}

int64_t Dataset::cardinality() const { return node_->cardinality(); }

PipelineStats Dataset::stats() const {
  std::lock_guard<std::mutex> lk(stats_slot_->mu);
  return stats_slot_->last ? stats_slot_->last->snapshot() : PipelineStats{};
}

}  // namespace nabla::data
