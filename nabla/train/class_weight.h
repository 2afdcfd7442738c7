#pragma once
// Class weights for imbalanced data: sklearn's "balanced" heuristic (compute_class_weight, compute_sample_weight)
// and Cui et al. 2019's class-balanced weights by the effective number of samples. Each returns what fit()
// takes: a class_weight map, or per-sample weights. Labels are read by the one decoder, data::class_ids
// (data/imbalance/labels.h): sparse ids, or one-hot rows by argmax (Keras's rule; pass LabelEncoding::sparse
// for per-pixel ids [N, H, W]). Below, in detail, fit's weights for each batch.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "nabla/core/tensor.h"
#include "nabla/data/imbalance/labels.h"

namespace nabla {

using data::LabelEncoding;

// labels: class ids [N] (any dtype holding integers; one-hot [N, C] rows use their argmax).
// "balanced": w_c = n_samples / (n_classes * count_c) over the classes present, as sklearn.
std::map<int64_t, double> compute_class_weight(const std::string& mode, const Tensor& labels,
                                               LabelEncoding encoding = LabelEncoding::infer);
// Per-label weights (float32; [N] for one label per sample): "balanced", or the weight of each label's class in
// a given map (absent: 1).
Tensor compute_sample_weight(const std::string& mode, const Tensor& labels,
                             LabelEncoding encoding = LabelEncoding::infer);
Tensor compute_sample_weight(const std::map<int64_t, double>& class_weight, const Tensor& labels,
                             LabelEncoding encoding = LabelEncoding::infer);
// Class-balanced weights (Cui et al., "Class-Balanced Loss Based on Effective Number of Samples", 2019):
// w_c ∝ (1 - beta) / (1 - beta^n_c), normalised so that the weights sum to the number of classes.
// beta in [0, 1): 0 gives equal weights; beta -> 1 approaches inverse frequency.
std::map<int64_t, double> effective_number_class_weight(const Tensor& labels, double beta = 0.999);
std::map<int64_t, double> effective_number_class_weight(const std::map<int64_t, int64_t>& counts, double beta = 0.999);

// Class ids of labels (sparse [N] / [N, 1], or one-hot [N, C] by argmax), and their counts: data::class_ids.
std::vector<int64_t> class_ids_of(const Tensor& labels, LabelEncoding encoding = LabelEncoding::infer);
std::map<int64_t, int64_t> class_id_counts(const Tensor& labels, LabelEncoding encoding = LabelEncoding::infer);

namespace detail {
struct Batch;

// fit's class weighting, resolved once per fit: class_weight for a single output, or class_weights per output
// name (resolved to output positions, so that a wrong name fails before any callback runs and each batch only
// indexes a vector). apply() multiplies each label's class weight into the batch's sample weights.
class ClassWeighting {
 public:
  // output_names/output_shapes: the model's, where known (output_shapes bound the class ids); classes_hint: the
  // single output's number of units (-1: unknown), asked at each batch since a model may be built by its
  // first; sparse_labels: the loss reads class ids (every element of y is one); model: named in errors.
  ClassWeighting(const std::map<int64_t, double>& class_weight,
                 const std::map<std::string, std::map<int64_t, double>>& class_weights,
                 const std::vector<std::string>& output_names, const std::vector<Shape>& output_shapes,
                 std::function<int64_t()> classes_hint, bool sparse_labels, const std::string& model);
  bool empty() const { return single_ == nullptr && per_output_.empty(); }
  void apply(Batch& b) const;

 private:
  const std::map<int64_t, double>* single_ = nullptr;
  std::vector<const std::map<int64_t, double>*> per_output_;  // by output position; nullptr: not weighted
  std::function<int64_t()> classes_hint_;                      // for single_
  std::vector<int64_t> classes_;                               // per output, -1: unknown
  LabelEncoding encoding_;
  std::string model_;
};

// The weights of one batch's labels y: the class weight of each label times sample_weight ([N] per sample, or
// one per label), as float32 of y's shape less a categorical last axis ([N] when one label per sample).
// classes: the output's units (1: one sigmoid unit, classes 0 and 1; -1: unknown), to refuse class ids beyond.
Tensor class_sample_weight(const Tensor& y, const std::map<int64_t, double>& class_weight,
                           const Tensor& sample_weight, int64_t classes, LabelEncoding encoding);
}  // namespace detail

}  // namespace nabla
