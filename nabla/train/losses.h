#pragma once
// Keras losses, with Keras 3's formulas. per_element computes Keras's unreduced values (the loss's `call`: the
// class/feature axis reduced, e.g. [N] for [N, C], [N, T] for [N, T, K]); operator() weights them with
// sample_weight (broadcast by Keras's rules) and applies the reduction (Keras's default "sum_over_batch_size":
// sum(w * l) / number of values). Crossentropies on a softmax/sigmoid output use the logits behind it (stable,
// fused), as Keras's TensorFlow backend does.
#include <memory>
#include <optional>
#include <string>

#include "nabla/core/tensor.h"

namespace nabla::losses {

// Keras's reduction names: "sum_over_batch_size" (default; "mean" is the same), "sum", "none" (the weighted
// per-element values), "mean_with_sample_weight" (sum / sum of the weights).
inline constexpr const char* kSumOverBatchSize = "sum_over_batch_size";
// Throws ValueError naming the allowed values unless r is one of them.
void check_reduction(const std::string& r);

class Loss {
 public:
  explicit Loss(std::string name, std::string reduction = kSumOverBatchSize);
  virtual ~Loss() = default;
  // One loss per sample ([N]): the mean of per_element over its non-batch axes.
  virtual Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const = 0;
  // Keras's unreduced loss values (its `call`): [N] for [N, C] predictions, [N, H, W] for per-pixel labels,
  // [N, T] for [N, T, K] regression targets. Losses without such axes return per_sample.
  virtual Tensor per_element(const Tensor& y_true, const Tensor& y_pred) const { return per_sample(y_true, y_pred); }
  // Keras's __call__. sample_weight: a scalar, [N] per sample, or per element / per timestep (e.g. [N, T] for
  // per_element's [N, T]); ranks that differ by one with a trailing 1 are squeezed/expanded first (Keras's
  // squeeze_or_expand_to_same_rank), then a weight shape that is a prefix of the values' shape is broadcast
  // over the trailing axes. Returns a scalar, or per_element's shape for reduction "none".
  Tensor operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) const;
  const std::string& name() const { return name_; }
  const std::string& reduction() const { return reduction_; }
  void set_reduction(const std::string& r);
  // What the metric name "accuracy" means with this loss (Keras resolves it the same way).
  virtual std::string accuracy_metric() const { return "categorical_accuracy"; }
  // Whether targets are class indices (sparse): then class_weight maps labels directly.
  virtual bool sparse_targets() const { return false; }

 protected:
  // Elements that count (1) or not (0) in the reduction, shaped like per_element; undefined: all count. Keras
  // sets this mask for ignore_class; "sum_over_batch_size" then averages over the elements that count.
  virtual Tensor mask(const Tensor& /*y_true*/, const Tensor& /*y_pred*/) const { return Tensor(); }

 private:
  std::string name_;
  std::string reduction_;
};

using LossPtr = std::shared_ptr<Loss>;

// ignore_class: labels equal to it (e.g. a segmentation "void" label) contribute 0 and are left out of the
// mean, as Keras (their loss is masked; reduction "sum_over_batch_size" averages over the other labels).
class SparseCategoricalCrossentropy : public Loss {
 public:
  explicit SparseCategoricalCrossentropy(bool from_logits = false, std::optional<int64_t> ignore_class = std::nullopt,
                                         std::string reduction = kSumOverBatchSize)
      : Loss("sparse_categorical_crossentropy", std::move(reduction)),
        from_logits_(from_logits),
        ignore_class_(ignore_class) {}
  Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const override;
  Tensor per_element(const Tensor& y_true, const Tensor& y_pred) const override;
  std::string accuracy_metric() const override { return "sparse_categorical_accuracy"; }
  bool sparse_targets() const override { return true; }
  bool from_logits() const { return from_logits_; }
  const std::optional<int64_t>& ignore_class() const { return ignore_class_; }

 protected:
  Tensor mask(const Tensor& y_true, const Tensor& y_pred) const override;

 private:
  bool from_logits_;
  std::optional<int64_t> ignore_class_;
};

class CategoricalCrossentropy : public Loss {
 public:
  explicit CategoricalCrossentropy(bool from_logits = false, double label_smoothing = 0,
                                   std::string reduction = kSumOverBatchSize)
      : Loss("categorical_crossentropy", std::move(reduction)),
        from_logits_(from_logits),
        label_smoothing_(label_smoothing) {}
  Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const override;
  Tensor per_element(const Tensor& y_true, const Tensor& y_pred) const override;

 private:
  bool from_logits_;
  double label_smoothing_;
};

class BinaryCrossentropy : public Loss {
 public:
  explicit BinaryCrossentropy(bool from_logits = false, double label_smoothing = 0,
                              std::string reduction = kSumOverBatchSize)
      : Loss("binary_crossentropy", std::move(reduction)), from_logits_(from_logits), label_smoothing_(label_smoothing) {}
  Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const override;
  Tensor per_element(const Tensor& y_true, const Tensor& y_pred) const override;
  std::string accuracy_metric() const override { return "binary_accuracy"; }

 private:
  bool from_logits_;
  double label_smoothing_;
};

class MeanSquaredError : public Loss {
 public:
  explicit MeanSquaredError(std::string reduction = kSumOverBatchSize) : Loss("mean_squared_error", std::move(reduction)) {}
  Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const override;
  Tensor per_element(const Tensor& y_true, const Tensor& y_pred) const override;
};

class MeanAbsoluteError : public Loss {
 public:
  explicit MeanAbsoluteError(std::string reduction = kSumOverBatchSize) : Loss("mean_absolute_error", std::move(reduction)) {}
  Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const override;
  Tensor per_element(const Tensor& y_true, const Tensor& y_pred) const override;
};

class Huber : public Loss {
 public:
  explicit Huber(double delta = 1.0, std::string reduction = kSumOverBatchSize)
      : Loss("huber_loss", std::move(reduction)), delta_(delta) {}
  Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const override;
  Tensor per_element(const Tensor& y_true, const Tensor& y_pred) const override;

 private:
  double delta_;
};

// By Keras name: "sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy",
// "mse"/"mean_squared_error", "mae"/"mean_absolute_error", "huber".
LossPtr get(const std::string& name);

// The mean over all but the first axis ([N, ...] -> [N]).
Tensor mean_per_sample(const Tensor& x);

// y_true reshaped to match y_pred when Keras would (e.g. [N] targets for [N, 1] predictions).
Tensor align_targets(const Tensor& y_true, const Tensor& y_pred, const std::string& loss_name);

}  // namespace nabla::losses
