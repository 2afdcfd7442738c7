#pragma once
// Keras losses. Each computes per-sample losses (shape [N], averaged over non-batch axes); operator() applies
// sample weights and Keras's default reduction, "sum_over_batch_size": sum(w_i * l_i) / N.
// Crossentropies on a softmax/sigmoid output use the logits behind it (stable, fused), as Keras does.
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <typeindex>

#include "nabla/core/tensor.h"

namespace nabla::losses {

class Loss {
 public:
  explicit Loss(std::string name) : name_(std::move(name)) {}
  virtual ~Loss() = default;
  virtual Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const = 0;
  // Losses before the mean over non-batch axes (e.g. [N, H, W] for per-pixel labels), for per-element weights;
  // losses without such axes return per_sample.
  virtual Tensor per_element(const Tensor& y_true, const Tensor& y_pred) const { return per_sample(y_true, y_pred); }
  // sample_weight: [N] per sample, or per element (the shape of per_element, e.g. the labels' [N, H, W]): then
  // each sample's loss is the mean of its weighted elements, as Keras.
  Tensor operator()(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) const;
  const std::string& name() const { return name_; }
  // What the metric name "accuracy" means with this loss (Keras resolves it the same way).
  virtual std::string accuracy_metric() const { return "categorical_accuracy"; }
  // Whether targets are class indices (sparse): then class_weight maps labels directly.
  virtual bool sparse_targets() const { return false; }
  // Keras's class name and get_config() ({name, reduction, ...}); train/losses_config.cpp defines them and the
  // registry that rebuilds losses from configs. A custom loss overrides get_config and registers a class.
  virtual std::string class_name() const { return ""; }
  virtual nlohmann::json get_config() const;

 private:
  std::string name_;
};

using LossPtr = std::shared_ptr<Loss>;

class SparseCategoricalCrossentropy : public Loss {
 public:
  std::string class_name() const override { return "SparseCategoricalCrossentropy"; }
  nlohmann::json get_config() const override;
  static std::shared_ptr<SparseCategoricalCrossentropy> from_config(const nlohmann::json& config);
  explicit SparseCategoricalCrossentropy(bool from_logits = false)
      : Loss("sparse_categorical_crossentropy"), from_logits_(from_logits) {}
  Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const override;
  Tensor per_element(const Tensor& y_true, const Tensor& y_pred) const override;
  std::string accuracy_metric() const override { return "sparse_categorical_accuracy"; }
  bool sparse_targets() const override { return true; }

 private:
  bool from_logits_;
};

class CategoricalCrossentropy : public Loss {
 public:
  std::string class_name() const override { return "CategoricalCrossentropy"; }
  nlohmann::json get_config() const override;
  static std::shared_ptr<CategoricalCrossentropy> from_config(const nlohmann::json& config);
  explicit CategoricalCrossentropy(bool from_logits = false, double label_smoothing = 0)
      : Loss("categorical_crossentropy"), from_logits_(from_logits), label_smoothing_(label_smoothing) {}
  Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const override;

 private:
  bool from_logits_;
  double label_smoothing_;
};

class BinaryCrossentropy : public Loss {
 public:
  std::string class_name() const override { return "BinaryCrossentropy"; }
  nlohmann::json get_config() const override;
  static std::shared_ptr<BinaryCrossentropy> from_config(const nlohmann::json& config);
  explicit BinaryCrossentropy(bool from_logits = false, double label_smoothing = 0)
      : Loss("binary_crossentropy"), from_logits_(from_logits), label_smoothing_(label_smoothing) {}
  Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const override;
  std::string accuracy_metric() const override { return "binary_accuracy"; }

 private:
  bool from_logits_;
  double label_smoothing_;
};

class MeanSquaredError : public Loss {
 public:
  std::string class_name() const override { return "MeanSquaredError"; }
  static std::shared_ptr<MeanSquaredError> from_config(const nlohmann::json& config);
  MeanSquaredError() : Loss("mean_squared_error") {}
  Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const override;
};

class MeanAbsoluteError : public Loss {
 public:
  std::string class_name() const override { return "MeanAbsoluteError"; }
  static std::shared_ptr<MeanAbsoluteError> from_config(const nlohmann::json& config);
  MeanAbsoluteError() : Loss("mean_absolute_error") {}
  Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const override;
};

class Huber : public Loss {
 public:
  std::string class_name() const override { return "Huber"; }
  nlohmann::json get_config() const override;
  static std::shared_ptr<Huber> from_config(const nlohmann::json& config);
  explicit Huber(double delta = 1.0) : Loss("huber_loss"), delta_(delta) {}
  Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const override;

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
