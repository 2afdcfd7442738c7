#pragma once
// Focal losses (Lin et al. 2017) with Keras's formulas: crossentropy scaled by (1 - p_t)^gamma, so confidently
// right (mostly majority-class) samples contribute little and the hard, often minority, ones dominate.
#include <vector>

#include "nabla/train/losses.h"

namespace nabla::losses {

// Keras's BinaryFocalCrossentropy: mean over the last axis of (1 - p_t)^gamma * bce, times
// alpha_t = y alpha + (1 - y)(1 - alpha) when apply_class_balancing. As Keras 3, p is the prediction (or the
// sigmoid of the logits) clipped to [eps, 1 - eps], and bce = -(y log p + (1 - y) log(1 - p)).
class BinaryFocalCrossentropy : public Loss {
 public:
  std::string class_name() const override { return "BinaryFocalCrossentropy"; }
  nlohmann::json get_config() const override;
  static std::shared_ptr<BinaryFocalCrossentropy> from_config(const nlohmann::json& config);
  struct Options {
    bool apply_class_balancing = false;
    double alpha = 0.25;
    double gamma = 2.0;
    bool from_logits = false;
    double label_smoothing = 0;
    std::string reduction = kSumOverBatchSize;
  };
  BinaryFocalCrossentropy() : BinaryFocalCrossentropy(Options{}) {}
  explicit BinaryFocalCrossentropy(Options o) : Loss("binary_focal_crossentropy", o.reduction), o_(std::move(o)) {}
  Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const override;
  Tensor per_element(const Tensor& y_true, const Tensor& y_pred) const override;
  std::string accuracy_metric() const override { return "binary_accuracy"; }

 private:
  Options o_;
};

// Keras's CategoricalFocalCrossentropy: sum over classes of alpha (1 - p)^gamma * (-y log p), p the normalised,
// clipped probabilities. alpha: one value for all classes (Keras's default 0.25), or one per class.
class CategoricalFocalCrossentropy : public Loss {
 public:
  std::string class_name() const override { return "CategoricalFocalCrossentropy"; }
  nlohmann::json get_config() const override;
  static std::shared_ptr<CategoricalFocalCrossentropy> from_config(const nlohmann::json& config);
  struct Options {
    std::vector<double> alpha = {0.25};
    double gamma = 2.0;
    bool from_logits = false;
    double label_smoothing = 0;
    std::string reduction = kSumOverBatchSize;
  };
  CategoricalFocalCrossentropy() : CategoricalFocalCrossentropy(Options{}) {}
  explicit CategoricalFocalCrossentropy(Options o, std::string name = "categorical_focal_crossentropy")
      : Loss(std::move(name), o.reduction), o_(std::move(o)) {}
  Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const override;
  Tensor per_element(const Tensor& y_true, const Tensor& y_pred) const override;
  // The focal loss of targets given as probabilities [..., C] against predictions [..., C]: [...] per element.
  Tensor focal(const Tensor& y_true, const Tensor& y_pred) const;
  const Options& options() const { return o_; }

  static Options options_from_config(const nlohmann::json& config, const std::string& who);

 private:
  Options o_;
};

// The same with class-index targets ([N], or dense [N, H, W] for predictions [N, H, W, C]).
class SparseCategoricalFocalCrossentropy : public CategoricalFocalCrossentropy {
 public:
  std::string class_name() const override { return "SparseCategoricalFocalCrossentropy"; }
  static std::shared_ptr<SparseCategoricalFocalCrossentropy> from_config(const nlohmann::json& config);
  SparseCategoricalFocalCrossentropy() : SparseCategoricalFocalCrossentropy(Options{}) {}
  explicit SparseCategoricalFocalCrossentropy(Options o)
      : CategoricalFocalCrossentropy(std::move(o), "sparse_categorical_focal_crossentropy") {}
  Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const override;
  Tensor per_element(const Tensor& y_true, const Tensor& y_pred) const override;
  std::string accuracy_metric() const override { return "sparse_categorical_accuracy"; }
  bool sparse_targets() const override { return true; }
};

}  // namespace nabla::losses
