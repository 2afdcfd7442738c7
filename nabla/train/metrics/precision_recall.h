#pragma once
// Precision, recall and F1 with scikit-learn's single-label meaning — per class, or averaged as sklearn does
// (macro, micro, weighted) — as streaming metrics for compile() (ClassPrecision, ClassRecall, F1Score) and as free
// functions on predictions after the fact. [N, C] scores are read as one class per sample (argmax). Keras's
// Precision/Recall, which threshold every entry of [N, C] independently (multi-label), are in
// keras_precision_recall.h. Undefined ratios (no predicted or
// no true samples of a class) count as 0, sklearn's zero_division default with the warning left out.
#include <string>
#include <vector>

#include "nabla/train/metrics.h"
#include "nabla/train/metrics/confusion_matrix.h"

namespace nabla::metrics {

enum class Average {
  binary,    // the score of class_id alone (the positive class)
  macro,     // unweighted mean over the classes present
  micro,     // from global counts (for single-label data: accuracy)
  weighted,  // mean weighted by each class's support
};

struct ClassMetricOptions {
  Average average = Average::binary;
  int64_t class_id = 1;     // the positive class (binary), or the class reported
  double threshold = 0.5;   // for one score per sample (sigmoid): predicted positive above it
};

// Scores of one class from a confusion matrix.
double precision_of(const ConfusionCounts& cc, int64_t c);
double recall_of(const ConfusionCounts& cc, int64_t c);
double f1_of(const ConfusionCounts& cc, int64_t c);

enum class Score { precision, recall, f1 };
double averaged_score(const ConfusionCounts& cc, Score score, Average average, int64_t class_id = 1);

// A metric read from a streaming confusion matrix (sample weights weigh the counts).
class ConfusionMetric : public Metric {
 public:
  ConfusionMetric(std::string name, double threshold) : Metric(std::move(name)), threshold_(threshold) {}
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) override;
  void reset_state() override { counts_.reset(); }
  const ConfusionCounts& counts() const { return counts_; }

 private:
  double threshold_;
  ConfusionCounts counts_;
};

class ClassPrecision : public ConfusionMetric {
 public:
  explicit ClassPrecision(ClassMetricOptions o = {}, std::string name = "class_precision")
      : ConfusionMetric(std::move(name), o.threshold), o_(o) {}
  double result() const override { return averaged_score(counts(), Score::precision, o_.average, o_.class_id); }

 private:
  ClassMetricOptions o_;
};

class ClassRecall : public ConfusionMetric {
 public:
  explicit ClassRecall(ClassMetricOptions o = {}, std::string name = "class_recall")
      : ConfusionMetric(std::move(name), o.threshold), o_(o) {}
  double result() const override { return averaged_score(counts(), Score::recall, o_.average, o_.class_id); }

 private:
  ClassMetricOptions o_;
};

class F1Score : public ConfusionMetric {
 public:
  explicit F1Score(ClassMetricOptions o = {}, std::string name = "f1_score")
      : ConfusionMetric(std::move(name), o.threshold), o_(o) {}
  double result() const override { return averaged_score(counts(), Score::f1, o_.average, o_.class_id); }

 private:
  ClassMetricOptions o_;
};

// After the fact (sklearn's precision_score, recall_score, f1_score). y_pred: class ids, or scores (argmax of
// [N, C]; threshold of [N] / [N, 1] floating scores).
double precision_score(const Tensor& y_true, const Tensor& y_pred, ClassMetricOptions o = {},
                       const Tensor& sample_weight = Tensor());
double recall_score(const Tensor& y_true, const Tensor& y_pred, ClassMetricOptions o = {},
                    const Tensor& sample_weight = Tensor());
double f1_score(const Tensor& y_true, const Tensor& y_pred, ClassMetricOptions o = {},
                const Tensor& sample_weight = Tensor());

// Per-class scores for classes 0..C-1 (sklearn's precision_recall_fscore_support with average=None).
struct PerClassScores {
  std::vector<double> precision, recall, f1, support;
};
PerClassScores precision_recall_f1_support(const Tensor& y_true, const Tensor& y_pred,
                                           const Tensor& sample_weight = Tensor(), double threshold = 0.5);

}  // namespace nabla::metrics
