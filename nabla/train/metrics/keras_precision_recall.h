#pragma once
// Keras's Precision and Recall: every entry of the predictions is its own binary decision (y_pred > threshold,
// against y_true != 0), so [N, C] outputs are read as multi-label, and the counts are global (micro). top_k keeps
// only each row's k highest scores as candidates (then the threshold defaults to none); class_id scores one
// column. On one score per sample ([N] or [N, 1], a sigmoid) this is the usual binary precision/recall. The
// scikit-learn-style single-label versions (argmax, per-class averages) are ClassPrecision/ClassRecall.
#include <optional>

#include "nabla/train/metrics.h"

namespace nabla::metrics {

struct PrecisionRecallOptions {
  std::optional<double> thresholds;  // Keras's default: 0.5, or none (every top_k entry) with top_k
  std::optional<int64_t> top_k;
  std::optional<int64_t> class_id;
};

// True/false positive/negative counts (weighted) under Keras's rules.
class ThresholdedCounts : public Metric {
 public:
  ThresholdedCounts(PrecisionRecallOptions o, std::string name);
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) override;
  void reset_state() override { tp_ = fp_ = fn_ = 0; }
  double true_positives() const { return tp_; }
  double false_positives() const { return fp_; }
  double false_negatives() const { return fn_; }
  nlohmann::json get_config() const override;
  const PrecisionRecallOptions& options() const { return o_; }

 private:
  PrecisionRecallOptions o_;
  double tp_ = 0, fp_ = 0, fn_ = 0;
};

class Precision : public ThresholdedCounts {
 public:
  explicit Precision(PrecisionRecallOptions o = {}, std::string name = "precision")
      : ThresholdedCounts(o, std::move(name)) {}
  double result() const override;  // tp / (tp + fp), 0 when undefined (Keras's divide_no_nan)
  std::string class_name() const override { return "Precision"; }
  static std::shared_ptr<Precision> from_config(const nlohmann::json& config);
};

class Recall : public ThresholdedCounts {
 public:
  explicit Recall(PrecisionRecallOptions o = {}, std::string name = "recall") : ThresholdedCounts(o, std::move(name)) {}
  double result() const override;  // tp / (tp + fn)
  std::string class_name() const override { return "Recall"; }
  static std::shared_ptr<Recall> from_config(const nlohmann::json& config);
};

}  // namespace nabla::metrics
