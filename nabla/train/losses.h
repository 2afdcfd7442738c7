#pragma once
// Keras losses. Each computes per-sample losses (shape [N], averaged over non-batch axes); operator() applies
// sample weights and Keras's default reduction, "sum_over_batch_size": sum(w_i * l_i) / N.
// Crossentropies on a softmax/sigmoid output use the logits behind it (stable, fused), as Keras does.
#include <memory>
#include <string>

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

 private:
  std::string name_;
};

using LossPtr = std::shared_ptr<Loss>;

class SparseCategoricalCrossentropy : public Loss {
 public:
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
  explicit CategoricalCrossentropy(bool from_logits = false, double label_smoothing = 0)
      : Loss("categorical_crossentropy"), from_logits_(from_logits), label_smoothing_(label_smoothing) {}
  Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const override;

 private:
  bool from_logits_;
  double label_smoothing_;
};

class BinaryCrossentropy : public Loss {
 public:
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
  MeanSquaredError() : Loss("mean_squared_error") {}
  Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const override;
};

class MeanAbsoluteError : public Loss {
 public:
  MeanAbsoluteError() : Loss("mean_absolute_error") {}
  Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const override;
};

class Huber : public Loss {
 public:
  explicit Huber(double delta = 1.0) : Loss("huber_loss"), delta_(delta) {}
  Tensor per_sample(const Tensor& y_true, const Tensor& y_pred) const override;

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
