#include "nabla/train/metrics/precision_recall.h"

namespace nabla::metrics {
namespace {
double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }
}  // namespace

double precision_of(const ConfusionCounts& cc, int64_t c) { return ratio(cc.true_positives(c), cc.predicted(c)); }
double recall_of(const ConfusionCounts& cc, int64_t c) { return ratio(cc.true_positives(c), cc.support(c)); }
double f1_of(const ConfusionCounts& cc, int64_t c) {
  // 2TP / (2TP + FP + FN): equal to the harmonic mean of precision and recall, and 0 where both are undefined.
  return ratio(2 * cc.true_positives(c), cc.support(c) + cc.predicted(c));
}

double averaged_score(const ConfusionCounts& cc, Score score, Average average, int64_t class_id) {
  auto of = [&](int64_t c) {
    switch (score) {
      case Score::precision: return precision_of(cc, c);
      case Score::recall: return recall_of(cc, c);
      case Score::f1: break;
    }
    return f1_of(cc, c);
  };
  switch (average) {
    case Average::binary:
      NABLA_CHECK(class_id >= 0, "class_id must be non-negative, got ", class_id);
      return of(class_id);
    case Average::micro: {
      // Single-label: every error is one false positive and one false negative, so P = R = F1 = accuracy.
      return ratio(cc.correct(), cc.total());
    }
    case Average::macro: {
      auto present = cc.present_classes();
      double s = 0;
      for (int64_t c : present) s += of(c);
      return ratio(s, double(present.size()));
    }
    case Average::weighted: {
      double s = 0, w = 0;
      for (int64_t c = 0; c < cc.classes(); ++c) {
        s += of(c) * cc.support(c);
        w += cc.support(c);
      }
      return ratio(s, w);
    }
  }
  return 0;
}

void ConfusionMetric::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  std::vector<int64_t> p = predicted_classes(y_pred, threshold_);
  counts_.add(target_classes(y_true, int64_t(p.size())), p, sample_weight);
}

double precision_score(const Tensor& y_true, const Tensor& y_pred, ClassMetricOptions o, const Tensor& sw) {
  return averaged_score(confusion_counts(y_true, y_pred, sw, o.threshold), Score::precision, o.average, o.class_id);
}
double recall_score(const Tensor& y_true, const Tensor& y_pred, ClassMetricOptions o, const Tensor& sw) {
  return averaged_score(confusion_counts(y_true, y_pred, sw, o.threshold), Score::recall, o.average, o.class_id);
}
double f1_score(const Tensor& y_true, const Tensor& y_pred, ClassMetricOptions o, const Tensor& sw) {
  return averaged_score(confusion_counts(y_true, y_pred, sw, o.threshold), Score::f1, o.average, o.class_id);
}

PerClassScores precision_recall_f1_support(const Tensor& y_true, const Tensor& y_pred, const Tensor& sw,
                                           double threshold) {
  ConfusionCounts cc = confusion_counts(y_true, y_pred, sw, threshold);
  PerClassScores r;
  for (int64_t c = 0; c < cc.classes(); ++c) {
    r.precision.push_back(precision_of(cc, c));
    r.recall.push_back(recall_of(cc, c));
    r.f1.push_back(f1_of(cc, c));
    r.support.push_back(cc.support(c));
  }
  return r;
}

}  // namespace nabla::metrics
