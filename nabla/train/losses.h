#pragma once
// Keras losses, with Keras 3's formulas. per_element computes Keras's unreduced values (the loss's `call`: the
// class/feature axis reduced, e.g. [N] for [N, C], [N, T] for [N, T, K]); operator() weights them with
// sample_weight (broadcast by Keras's rules) and applies the reduction (Keras's default "sum_over_batch_size":
// sum(w * l) / number of values). Crossentropies on a softmax/sigmoid output use the logits behind it (stable,
// fused), as Keras's TensorFlow backend does.
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <typeindex>

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
  // y_pred_mask: the predictions' mask from the model ([N, T] for [N, T, K] predictions, nonzero = counts), which
  // Keras's Loss.__call__ reads from y_pred: merged with the loss's own mask and applied as Keras's apply_mask
  // (masked values weigh 0; for "sum_over_batch_size" the others weigh total/valid, so the result is the mean
  // over the unmasked values).
  Tensor operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor(),
                    const Tensor& y_pred_mask = Tensor()) const;
  const std::string& name() const { return name_; }
  const std::string& reduction() const { return reduction_; }
  void set_reduction(const std::string& r);
  // What the metric name "accuracy" means with this loss (Keras resolves it the same way).
  virtual std::string accuracy_metric() const { return "categorical_accuracy"; }
  // Whether targets are class indices (sparse): then class_weight maps labels directly.
  virtual bool sparse_targets() const { return false; }
  // Keras's class name and get_config() ({name, reduction, ...}); train/losses_config.cpp defines them and the
  // registry that rebuilds losses from configs. A custom loss overrides get_config and registers a class.
  virtual std::string class_name() const { return ""; }
  virtual nlohmann::json get_config() const;

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
  std::string class_name() const override { return "SparseCategoricalCrossentropy"; }
  nlohmann::json get_config() const override;
  static std::shared_ptr<SparseCategoricalCrossentropy> from_config(const nlohmann::json& config);
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
  std::string class_name() const override { return "CategoricalCrossentropy"; }
  nlohmann::json get_config() const override;
  static std::shared_ptr<CategoricalCrossentropy> from_config(const nlohmann::json& config);
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
  std::string class_name() const override { return "BinaryCrossentropy"; }
  nlohmann::json get_config() const override;
  static std::shared_ptr<BinaryCrossentropy> from_config(const nlohmann::json& config);
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
  std::string class_name() const override { return "MeanSquaredError"; }
  static std::shared_ptr<MeanSquaredError> from_config(const nlohmann::json& config);
  explicit MeanSquaredError(std::string reduction = kSumOverBatchSize) : Loss("mean_squared_error", std::move(reduction)) {}
  Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const override;
  Tensor per_element(const Tensor& y_true, const Tensor& y_pred) const override;
};

class MeanAbsoluteError : public Loss {
 public:
  std::string class_name() const override { return "MeanAbsoluteError"; }
  static std::shared_ptr<MeanAbsoluteError> from_config(const nlohmann::json& config);
  explicit MeanAbsoluteError(std::string reduction = kSumOverBatchSize) : Loss("mean_absolute_error", std::move(reduction)) {}
  Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const override;
  Tensor per_element(const Tensor& y_true, const Tensor& y_pred) const override;
};

class Huber : public Loss {
 public:
  std::string class_name() const override { return "Huber"; }
  nlohmann::json get_config() const override;
  static std::shared_ptr<Huber> from_config(const nlohmann::json& config);
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

// Keras's serialized form {"module": "keras.losses", "class_name", "config", "registered_name"} and back (a name
// string is accepted too). A user's loss registers "package>Name" with register_loss<T>, T having a static
// from_config(const nlohmann::json&).
nlohmann::json serialize(const Loss& loss);
LossPtr deserialize(const nlohmann::json& j);
void register_loss_factory(const std::string& registered_name, std::function<LossPtr(const nlohmann::json&)> factory,
                           std::type_index type);
template <class T>
void register_loss(const std::string& registered_name) {
  register_loss_factory(registered_name, [](const nlohmann::json& c) -> LossPtr { return T::from_config(c); },
                        typeid(T));
}

// The mean over all but the first axis ([N, ...] -> [N]).
Tensor mean_per_sample(const Tensor& x);

// y_true reshaped to match y_pred when Keras would (e.g. [N] targets for [N, 1] predictions).
Tensor align_targets(const Tensor& y_true, const Tensor& y_pred, const std::string& loss_name);

}  // namespace nabla::losses
