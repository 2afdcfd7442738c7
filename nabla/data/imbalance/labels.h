#pragma once
// Class ids and the per-class index lists that resampling and stratified splits work on. The data layer sees
// only core, so this reads labels itself: integer-valued [N] / [N, 1], or one-hot [N, C] rows by argmax.
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "nabla/core/random.h"
#include "nabla/core/tensor.h"

namespace nabla::data {

std::vector<int64_t> labels_of(const Tensor& y);
// Indices of each class, ascending, keyed by class id.
std::map<int64_t, std::vector<int64_t>> indices_by_class(const Tensor& y);
// The generator for a random_state: seeded from it, or from nabla's default generator (so manual_seed makes
// an unseeded call reproducible too).
Generator generator_for(std::optional<uint64_t> random_state);
// k indices drawn from pool: with replacement, or a uniformly random k-subset (partial Fisher-Yates).
std::vector<int64_t> draw(const std::vector<int64_t>& pool, int64_t k, bool replace, Generator& g);
// Rows idx of t, copied into a fresh contiguous tensor (the data layer's own gather; ops/ is above it).
Tensor gather_rows(const Tensor& t, const std::vector<int64_t>& idx);
void shuffle_in_place(std::vector<int64_t>& v, Generator& g);
// sklearn's _approximate_mode: n split over classes in proportion to counts — floors, then the remainder to
// the largest fractional parts (ties to the smaller class id) — so the parts sum to n exactly.
std::map<int64_t, int64_t> proportional_counts(const std::map<int64_t, int64_t>& counts, int64_t n);

}  // namespace nabla::data
