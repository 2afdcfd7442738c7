#pragma once
// Class ids and the per-class index lists that resampling and stratified splits work on, and the one decoder of
// labels into class ids that every reader of labels uses (class weights in train/ too: data/ sees only core,
// so train/ can use it and it can serve both). Also the row gather and the shuffle that data/ and train/ share.
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "nabla/core/random.h"
#include "nabla/core/tensor.h"

namespace nabla::data {

// How labels encode classes. sparse: every element is a class id (a non-negative integer), in any shape, e.g.
// [N], [N, 1] or per-pixel [N, H, W]. infer: Keras's rule (its class_weight handling): labels of rank >= 2
// whose last axis is longer than 1 hold one score per class (one-hot or probabilities) and the class is the
// argmax over that axis (the first maximum); otherwise they are sparse.
enum class LabelEncoding { infer, sparse };
// One class id per label, in row-major order: one per element of sparse labels, one per row of the last axis of
// categorical ones. Throws for sparse labels that are not non-negative integers, naming the first.
std::vector<int64_t> class_ids(const Tensor& y, LabelEncoding encoding = LabelEncoding::infer);
// One class id per sample (class_ids(y), which must give exactly one per sample).
std::vector<int64_t> labels_of(const Tensor& y);
// Indices of each class, ascending, keyed by class id.
std::map<int64_t, std::vector<int64_t>> indices_by_class(const Tensor& y);
// The generator for a random_state: seeded from it, or from nabla's default generator (so manual_seed makes
// an unseeded call reproducible too).
Generator generator_for(std::optional<uint64_t> random_state);
// k indices drawn from pool: with replacement, or a uniformly random k-subset (partial Fisher-Yates).
std::vector<int64_t> draw(const std::vector<int64_t>& pool, int64_t k, bool replace, Generator& g);
// Rows idx of t, copied into a fresh contiguous tensor: the one non-differentiable row gather, for data/ and
// for fit's shuffled batches (ops/take_rows is the differentiable op, above data/). With `as`, floating rows are
// converted to that dtype as they are copied (fit's float64 data into a float32 model, in one pass).
Tensor gather_rows(const Tensor& t, std::span<const int64_t> idx, std::optional<DType> as = std::nullopt);
// Fisher-Yates over v with g: the one shuffle of index lists (fit's per-epoch order, splits, resampling).
void shuffle_in_place(std::span<int64_t> v, Generator& g);
// sklearn's _approximate_mode: n split over classes in proportion to counts — floors, then the remainder to
// the largest fractional parts (ties to the smaller class id) — so the parts sum to n exactly.
std::map<int64_t, int64_t> proportional_counts(const std::map<int64_t, int64_t>& counts, int64_t n);

}  // namespace nabla::data
