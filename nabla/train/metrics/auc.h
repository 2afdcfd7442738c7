#pragma once
// Area under the ROC or precision-recall curve, computed as tf.keras.metrics.AUC does (an approximation, on
// purpose; the exact after-the-fact scores are in metrics/ranking.h): confusion counts at
// num_thresholds fixed thresholds (default 200, evenly spaced in [0, 1] plus -eps and 1+eps), summed with
// "interpolation" (the trapezoidal rule for ROC; Davis & Goadrich's interpolation for PR). Streaming: only the
// counts per threshold are kept, so it runs over any number of batches in constant memory.
#include <vector>

#include "nabla/train/metrics.h"

namespace nabla::metrics {

enum class Curve { ROC, PR };
enum class Summation { interpolation, minoring, majoring };

struct AucOptions {
  Curve curve = Curve::ROC;
  int num_thresholds = 200;
  Summation summation = Summation::interpolation;
  // Scores [N, C] (C > 1): the column of class_id against "y is class_id" (one-vs-rest). -1: all columns
  // flattened against one-hot targets (Keras's multi_label=False). One score per sample ([N], [N, 1]): binary.
  int64_t class_id = -1;
  bool from_logits = false;  // Keras's AUC(from_logits=True): the sigmoid of the predictions is scored
};

class AUC : public Metric {
 public:
  explicit AUC(AucOptions o = {}, std::string name = "auc");
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) override;
  double result() const override;
  void reset_state() override;
  const std::vector<float>& thresholds() const { return thresholds_; }
  std::string class_name() const override { return "AUC"; }
  nlohmann::json get_config() const override;
  static std::shared_ptr<AUC> from_config(const nlohmann::json& config);

 private:
  AucOptions o_;
  std::vector<float> thresholds_;
  // Weighted count of positives/negatives whose score exceeds exactly the first k thresholds (k = bucket).
  std::vector<double> pos_, neg_;
};

// What the streaming AUC metric reports for these predictions (Keras's thresholded approximation), in one call:
// y_true binary labels (or class ids/one-hot with class_id), y_score the scores. For the exact areas that
// scikit-learn reports use roc_auc_score / average_precision_score (metrics/ranking.h).
double keras_auc_score(const Tensor& y_true, const Tensor& y_score, AucOptions o = {}, const Tensor& sample_weight = Tensor());

}  // namespace nabla::metrics
