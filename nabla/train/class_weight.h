#pragma once
// Class weights for imbalanced data: sklearn's "balanced" heuristic (compute_class_weight, compute_sample_weight)
// and Cui et al. 2019's class-balanced weights by the effective number of samples. Each returns what fit()
// takes: a class_weight map, or per-sample weights.
#include <cstdint>
#include <map>
#include <string>

#include "nabla/core/tensor.h"

namespace nabla {

// labels: class ids [N] (any dtype holding integers; one-hot [N, C] rows use their argmax).
// "balanced": w_c = n_samples / (n_classes * count_c) over the classes present, as sklearn.
std::map<int64_t, double> compute_class_weight(const std::string& mode, const Tensor& labels);
// Per-sample weights [N] (float32): "balanced", or the weight of each sample's class in a given map (absent: 1).
Tensor compute_sample_weight(const std::string& mode, const Tensor& labels);
Tensor compute_sample_weight(const std::map<int64_t, double>& class_weight, const Tensor& labels);
// Class-balanced weights (Cui et al., "Class-Balanced Loss Based on Effective Number of Samples", 2019):
// w_c ∝ (1 - beta) / (1 - beta^n_c), normalised so that the weights sum to the number of classes.
// beta in [0, 1): 0 gives equal weights; beta -> 1 approaches inverse frequency.
std::map<int64_t, double> effective_number_class_weight(const Tensor& labels, double beta = 0.999);
std::map<int64_t, double> effective_number_class_weight(const std::map<int64_t, int64_t>& counts, double beta = 0.999);

// Class ids of labels (sparse [N] / [N, 1], or one-hot [N, C] by argmax), and their counts.
std::vector<int64_t> class_ids_of(const Tensor& labels);
std::map<int64_t, int64_t> class_id_counts(const Tensor& labels);

}  // namespace nabla
