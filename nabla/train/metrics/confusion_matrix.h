#pragma once
// The weighted confusion matrix that the classification metrics (precision, recall, F1, balanced accuracy,
// classification_report) are read from, and the rules that turn model outputs into class ids.
#include <cstdint>
#include <vector>

#include "nabla/core/tensor.h"

namespace nabla::metrics {

// Rows: true class; columns: predicted class; cells: summed sample weights. Grows as larger class ids appear.
class ConfusionCounts {
 public:
  explicit ConfusionCounts(int64_t num_classes = 0) { resize(num_classes); }
  void add(int64_t true_class, int64_t predicted_class, double weight = 1.0);
  // Adds a batch of class ids, with per-id weights or none. weights may also be per sample (fewer than ids,
  // dividing them evenly): each sample's weight then covers its elements (per-pixel labels).
  void add(const std::vector<int64_t>& true_classes, const std::vector<int64_t>& predicted, const Tensor& weights);
  void reset() { std::fill(cells_.begin(), cells_.end(), 0.0); }
  int64_t classes() const { return classes_; }
  double at(int64_t t, int64_t p) const { return cells_[size_t(t * classes_ + p)]; }
  double true_positives(int64_t c) const { return c < classes_ ? at(c, c) : 0; }
  double support(int64_t c) const;    // how many truly are c (row sum)
  double predicted(int64_t c) const;  // how many were predicted c (column sum)
  double total() const;
  double correct() const;
  // Classes that occur among the true or predicted ids (sklearn's unique_labels), ascending.
  std::vector<int64_t> present_classes() const;
  Tensor to_tensor() const;  // [C, C] float64

 private:
  void resize(int64_t n);
  int64_t classes_ = 0;
  std::vector<double> cells_;
};

// Class ids of predictions: argmax over the last axis of scores [..., C] (C > 1); for one score per sample
// ([N] or [N, 1], a sigmoid output) 1 where the score exceeds threshold, else 0. Integer tensors are ids as is.
std::vector<int64_t> predicted_classes(const Tensor& y_pred, double threshold = 0.5);
// Class ids of targets, aligned with n predicted ids: integer-valued labels with n values, or one-hot rows
// (n rows of C values) by argmax.
std::vector<int64_t> target_classes(const Tensor& y_true, int64_t n);

// sklearn.metrics.confusion_matrix: y_true and y_pred are class ids (or scores, converted as above);
// num_classes -1: the largest id + 1. Result [C, C] float64 (weighted counts).
Tensor confusion_matrix(const Tensor& y_true, const Tensor& y_pred, int64_t num_classes = -1,
                        const Tensor& sample_weight = Tensor());
// The same as an accumulator, for the scores in precision_recall.h.
ConfusionCounts confusion_counts(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor(),
                                 double threshold = 0.5);

}  // namespace nabla::metrics
