#include "nabla/train/metrics/balanced_accuracy.h"

namespace nabla::metrics {

double balanced_accuracy_of(const ConfusionCounts& cc) {
  double s = 0;
  int64_t k = 0;
  for (int64_t c = 0; c < cc.classes(); ++c)
    if (cc.support(c) > 0) {
      s += recall_of(cc, c);
      ++k;
    }
  return k ? s / double(k) : 0.0;
}

double balanced_accuracy_score(const Tensor& y_true, const Tensor& y_pred, const Tensor& sw, double threshold) {
  return balanced_accuracy_of(confusion_counts(y_true, y_pred, sw, threshold));
}

}  // namespace nabla::metrics
