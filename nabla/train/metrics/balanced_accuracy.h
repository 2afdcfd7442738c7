#pragma once
// Balanced accuracy: the mean of per-class recall over the classes that occur in y_true (sklearn's
// balanced_accuracy_score), so a classifier that ignores a rare class cannot score well by accuracy alone.
#include "nabla/train/metrics/precision_recall.h"

namespace nabla::metrics {

double balanced_accuracy_of(const ConfusionCounts& cc);

class BalancedAccuracy : public ConfusionMetric {
 public:
  explicit BalancedAccuracy(std::string name = "balanced_accuracy", double threshold = 0.5)
      : ConfusionMetric(std::move(name), threshold) {}
  double result() const override { return balanced_accuracy_of(counts()); }
};

double balanced_accuracy_score(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor(),
                               double threshold = 0.5);

}  // namespace nabla::metrics
