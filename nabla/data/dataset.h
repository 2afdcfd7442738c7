#pragma once
// nabla::data::Dataset — an input pipeline in the manner of tf.data. A Dataset is an immutable description
// (copying it copies a handle); iterating it runs the pipeline on the shared thread pool. Elements are tuples
// of tensors, by convention (features, label[, sample_weight]).
//
//   auto ds = data::Dataset::from_tensor_slices(x, y).shuffle(10000, 42).batch(32).prefetch(data::AUTOTUNE);
//   for (const auto& batch : ds) step(batch[0], batch[1]);   // one epoch, as `for batch in ds:` in Python
//   auto it = ds.make_iterator();                             // or by hand
//   while (auto batch = it.next()) step((*batch)[0], (*batch)[1]);
//   std::cout << it.stats().str();                            // is training input-bound?
//
// Semantics follow tf.data (docs/data-pipeline.md lists the few differences).
#include <cstddef>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nabla/data/element.h"
#include "nabla/data/stats.h"

namespace nabla::data {

class Dataset;
namespace detail {
// The pipeline machinery (data/node.h) stays out of this header; DatasetAccess is its one door into Dataset.
class DatasetNode;
class IteratorBase;
struct DatasetAccess;
}  // namespace detail

// One pass over a dataset. Destroying it mid-epoch stops its background work and waits for it.
class Iterator {
 public:
  Iterator();
  Iterator(Iterator&&) noexcept;
  Iterator& operator=(Iterator&&) noexcept;
  ~Iterator();
  // The next element, or nullopt at the end of the pass. An error in any stage (a user function that threw, a
  // bad record) is rethrown here; the pass is then over.
  std::optional<Element> next();
  PipelineStats stats() const;

 private:
  friend class Dataset;
  Iterator(std::shared_ptr<StatsRegistry> stats, std::unique_ptr<detail::IteratorBase> impl);
  std::shared_ptr<StatsRegistry> stats_;  // declared first: outlives the iterators that count into it
  std::unique_ptr<detail::IteratorBase> impl_;
};

// The input iterator behind `for (const auto& element : dataset)`: begin() starts a pass (an Iterator) and holds
// the current element; it equals end() when the pass is over. Leaving the loop early (break, return, an
// exception) destroys it, which stops the pass's background work as destroying an Iterator does.
class ElementIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = Element;
  using difference_type = std::ptrdiff_t;
  using pointer = const Element*;
  using reference = const Element&;

  ElementIterator() = default;
  explicit ElementIterator(Iterator it) : it_(std::move(it)) { ++*this; }
  ElementIterator(ElementIterator&&) noexcept = default;
  ElementIterator& operator=(ElementIterator&&) noexcept = default;

  reference operator*() const { return *current_; }
  pointer operator->() const { return &*current_; }
  ElementIterator& operator++() {
    current_ = it_.next();
    return *this;
  }
  void operator++(int) { ++*this; }
  friend bool operator==(const ElementIterator& it, std::default_sentinel_t) { return !it.current_; }
  // Statistics of the pass so far (see Iterator::stats).
  PipelineStats stats() const { return it_.stats(); }

 private:
  Iterator it_;
  std::optional<Element> current_;
};

class Dataset {
 public:
  using MapFn = std::function<Element(Element)>;
  using Predicate = std::function<bool(const Element&)>;
  using GeneratorFn = std::function<std::optional<Element>()>;

  // ---- sources ----
  // Element i is (t[i] for t in tensors): views sliced along axis 0; all tensors must agree on size(0).
  static Dataset from_tensor_slices(std::vector<Tensor> tensors);
  static Dataset from_tensor_slices(const Tensor& x) { return from_tensor_slices(std::vector<Tensor>{x}); }
  static Dataset from_tensor_slices(const Tensor& x, const Tensor& y) { return from_tensor_slices({x, y}); }
  static Dataset from_tensor_slices(const Tensor& x, const Tensor& y, const Tensor& w) {
    return from_tensor_slices({x, y, w});
  }
  // A single element.
  static Dataset from_tensors(std::vector<Tensor> tensors);
  // int64 scalars start, start+step, ... (stop excluded).
  static Dataset range(int64_t stop) { return range(0, stop, 1); }
  static Dataset range(int64_t start, int64_t stop, int64_t step = 1);
  // make_generator is called at the start of every pass; the generator it returns yields elements until nullopt.
  static Dataset from_generator(std::function<GeneratorFn()> make_generator,
                                int64_t cardinality = UNKNOWN_CARDINALITY);
  // Paths matching a glob pattern, as uint8 string tensors (see tensor_string); sorted, or shuffled each pass.
  // Throws IOError naming the pattern if nothing matches.
  static Dataset list_files(const std::string& pattern, bool shuffle = true, std::optional<uint64_t> seed = {});
  // Elements are the components of one element of each dataset, concatenated; ends with the shortest.
  static Dataset zip(std::vector<Dataset> datasets);
  // Each element comes from dataset i with probability weights[i] (uniform if empty). An exhausted dataset drops
  // out (its weight is renormalised away), unless stop_on_empty_dataset.
  static Dataset sample_from_datasets(std::vector<Dataset> datasets, std::vector<double> weights = {},
                                      std::optional<uint64_t> seed = {}, bool stop_on_empty_dataset = false);

  // ---- transformations ----
  // num_parallel_calls: 0 runs fn inline; n > 0 keeps up to n calls in flight on the pool; AUTOTUNE tunes n.
  // deterministic=false lets a finished element overtake a slower earlier one.
  Dataset map(MapFn fn, int64_t num_parallel_calls = 0, bool deterministic = true) const;
  Dataset filter(Predicate pred) const;
  // A buffer of buffer_size elements; each output is drawn uniformly from it and replaced by the next input.
  // Without a seed, one is drawn from nabla's default generator (so manual_seed makes it reproducible).
  Dataset shuffle(int64_t buffer_size, std::optional<uint64_t> seed = {}, bool reshuffle_each_iteration = true) const;
  // Stacks n consecutive elements along a new axis 0; the last, smaller batch is kept unless drop_remainder.
  Dataset batch(int64_t n, bool drop_remainder = false) const;
  // Like batch, for elements whose shapes differ: each component is padded to padded_shapes[i] (a -1
  // dimension, or an empty list, pads to the batch's longest) with padding_values[i] (default 0).
  Dataset padded_batch(int64_t n, std::vector<Shape> padded_shapes = {}, std::vector<double> padding_values = {},
                       bool drop_remainder = false) const;
  // Splits each element along axis 0 into its rows.
  Dataset unbatch() const;
  // Re-cuts a batched dataset into batches of n rows (= unbatch().batch(n), without per-row elements).
  Dataset rebatch(int64_t n, bool drop_remainder = false) const;
  // Produces up to n elements ahead on the pool (AUTOTUNE: the buffer size is tuned while running).
  Dataset prefetch(int64_t n) const;
  // First pass reads the input and records it; later passes replay it. With a path the record is a file, written
  // to a temporary name and renamed only when a pass completes, and ignored if the pipeline above it changed.
  Dataset cache(const std::string& path = "") const;
  Dataset repeat(int64_t count = -1) const;  // -1: forever
  Dataset take(int64_t n) const;
  Dataset skip(int64_t n) const;
  Dataset shard(int64_t num_shards, int64_t index) const;  // elements i with i % num_shards == index
  // fn maps each input element to a dataset; cycle_length of them are read round-robin, block_length elements at a
  // time. num_parallel_calls > 0 (or AUTOTUNE) prefetches the open datasets on the pool; order is unchanged.
  Dataset interleave(std::function<Dataset(const Element&)> fn, int64_t cycle_length = AUTOTUNE,
                     int64_t block_length = 1, int64_t num_parallel_calls = 0) const;
  Dataset concatenate(const Dataset& other) const;
  Dataset enumerate(int64_t start = 0) const;  // prepends an int64 scalar index to each element
  Dataset apply(const std::function<Dataset(const Dataset&)>& fn) const { return fn(*this); }
  // tf.data's rejection_resample: rebalances a stream towards target_dist (over class ids 0..K-1) without
  // materialising it. Each output is drawn from the input as is with probability min_c(target_c / initial_c), else
  // by rejection with acceptance (r_c - min r) / (max r - min r). initial_dist is estimated from the classes seen
  // when not given. Elements come out as (class id int64 scalar, *element), as tf's (class, element).
  // Defined in data/ops/rejection_resample.cpp.
  Dataset rejection_resample(std::function<int64_t(const Element&)> class_fn, std::vector<double> target_dist,
                             std::optional<std::vector<double>> initial_dist = {},
                             std::optional<uint64_t> seed = {}) const;

  // ---- running ----
  Iterator make_iterator() const;  // one pass (repeat() makes it longer)
  // Range-for: each loop is one pass, like make_iterator(); an error in the pipeline is thrown from the loop.
  ElementIterator begin() const { return ElementIterator(make_iterator()); }
  std::default_sentinel_t end() const { return {}; }
  int64_t cardinality() const;     // number of elements, or INFINITE_CARDINALITY / UNKNOWN_CARDINALITY
  PipelineStats stats() const;     // of the latest iterator made from this dataset

 private:
  friend struct detail::DatasetAccess;
  struct StatsSlot;
  explicit Dataset(std::shared_ptr<const detail::DatasetNode> node);
  std::shared_ptr<const detail::DatasetNode> node_;
  std::shared_ptr<StatsSlot> stats_slot_;
};

}  // namespace nabla::data
