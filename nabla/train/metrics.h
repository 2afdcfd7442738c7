#pragma once
// Streaming metrics (Keras's update_state / result / reset_state), accumulated over batches in double.
// They run outside autograd on detached predictions.
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <typeindex>

#include "nabla/core/tensor.h"

namespace nabla::metrics {

class Metric {
 public:
  explicit Metric(std::string name) : name_(std::move(name)) {}
  virtual ~Metric() = default;
  virtual void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) = 0;
  virtual double result() const = 0;
  virtual void reset_state() = 0;
  const std::string& name() const { return name_; }
  void set_name(std::string n) { name_ = std::move(n); }
  // Keras's class name and get_config() ({name, dtype, ...}); train/metrics_config.cpp defines them and the
  // registry that rebuilds metrics from configs. "" for metrics without a Keras counterpart config here.
  virtual std::string class_name() const { return ""; }
  virtual nlohmann::json get_config() const;

 private:
  std::string name_;
};

using MetricPtr = std::shared_ptr<Metric>;

// Weighted mean of values, as Keras's Mean: the base of accuracy/mse/mae, and of the loss tracker. Each sample's
// value is the mean of its elements; sample weights may be a scalar, per sample, or per element/timestep (then
// values are first averaged down to the weights' rank, and the weights averaged per sample: Keras's
// reduce_to_samplewise_values).
class MeanMetric : public Metric {
 public:
  using Metric::Metric;
  std::string class_name() const override { return "Mean"; }
  static std::shared_ptr<MeanMetric> from_config(const nlohmann::json& config);
  void update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight = Tensor()) override;
  void update_values(const Tensor& values, const Tensor& sample_weight = Tensor());
  void add(double total, double count) {
    total_ += total;
    count_ += count;
  }
  double result() const override { return count_ > 0 ? total_ / count_ : 0.0; }
  void reset_state() override { total_ = count_ = 0; }

 protected:
  // Keras's unreduced values for a batch (float64: [N], or [N, T] / elementwise where Keras keeps those axes).
  // MeanMetric itself averages y_pred.
  virtual Tensor values(const Tensor& y_true, const Tensor& y_pred) const;

 private:
  double total_ = 0, count_ = 0;
};

// Keras's Accuracy: how often predictions equal the targets exactly, elementwise.
class Accuracy : public MeanMetric {
 public:
  explicit Accuracy(std::string name = "accuracy") : MeanMetric(std::move(name)) {}
  std::string class_name() const override { return "Accuracy"; }
  static std::shared_ptr<Accuracy> from_config(const nlohmann::json& config);

 protected:
  Tensor values(const Tensor& y_true, const Tensor& y_pred) const override;
};

class SparseCategoricalAccuracy : public MeanMetric {
 public:
  explicit SparseCategoricalAccuracy(std::string name = "sparse_categorical_accuracy") : MeanMetric(std::move(name)) {}

  std::string class_name() const override { return "SparseCategoricalAccuracy"; }
  static std::shared_ptr<SparseCategoricalAccuracy> from_config(const nlohmann::json& config);
 protected:
  Tensor values(const Tensor& y_true, const Tensor& y_pred) const override;
};

class CategoricalAccuracy : public MeanMetric {
 public:
  explicit CategoricalAccuracy(std::string name = "categorical_accuracy") : MeanMetric(std::move(name)) {}

  std::string class_name() const override { return "CategoricalAccuracy"; }
  static std::shared_ptr<CategoricalAccuracy> from_config(const nlohmann::json& config);
 protected:
  Tensor values(const Tensor& y_true, const Tensor& y_pred) const override;
};

// Elementwise: 1 where (y_pred > threshold) equals y_true (Keras compares the targets exactly: 0/1 labels).
class BinaryAccuracy : public MeanMetric {
 public:
  explicit BinaryAccuracy(std::string name = "binary_accuracy", double threshold = 0.5)
      : MeanMetric(std::move(name)), threshold_(threshold) {}

  std::string class_name() const override { return "BinaryAccuracy"; }
  static std::shared_ptr<BinaryAccuracy> from_config(const nlohmann::json& config);
  nlohmann::json get_config() const override;
 protected:
  Tensor values(const Tensor& y_true, const Tensor& y_pred) const override;

 private:
  double threshold_;
};

class MeanSquaredError : public MeanMetric {
 public:
  explicit MeanSquaredError(std::string name = "mean_squared_error") : MeanMetric(std::move(name)) {}

  std::string class_name() const override { return "MeanSquaredError"; }
  static std::shared_ptr<MeanSquaredError> from_config(const nlohmann::json& config);
 protected:
  Tensor values(const Tensor& y_true, const Tensor& y_pred) const override;
};

class MeanAbsoluteError : public MeanMetric {
 public:
  explicit MeanAbsoluteError(std::string name = "mean_absolute_error") : MeanMetric(std::move(name)) {}

  std::string class_name() const override { return "MeanAbsoluteError"; }
  static std::shared_ptr<MeanAbsoluteError> from_config(const nlohmann::json& config);
 protected:
  Tensor values(const Tensor& y_true, const Tensor& y_pred) const override;
};

// Whether the target class is among the k highest scores (ties count as in, as Keras's in_top_k). Targets
// one-hot [..., C] (TopKCategoricalAccuracy) or class ids [...] (SparseTopKCategoricalAccuracy); k = 5 default.
class TopKCategoricalAccuracy : public MeanMetric {
 public:
  explicit TopKCategoricalAccuracy(int64_t k = 5, std::string name = "top_k_categorical_accuracy")
      : MeanMetric(std::move(name)), k_(k) {}
  std::string class_name() const override { return "TopKCategoricalAccuracy"; }
  nlohmann::json get_config() const override;
  static std::shared_ptr<TopKCategoricalAccuracy> from_config(const nlohmann::json& config);
  int64_t k() const { return k_; }

 protected:
  Tensor values(const Tensor& y_true, const Tensor& y_pred) const override;
  virtual bool sparse() const { return false; }

 private:
  int64_t k_;
};

class SparseTopKCategoricalAccuracy : public TopKCategoricalAccuracy {
 public:
  explicit SparseTopKCategoricalAccuracy(int64_t k = 5, std::string name = "sparse_top_k_categorical_accuracy")
      : TopKCategoricalAccuracy(k, std::move(name)) {}
  std::string class_name() const override { return "SparseTopKCategoricalAccuracy"; }
  nlohmann::json get_config() const override;
  static std::shared_ptr<SparseTopKCategoricalAccuracy> from_config(const nlohmann::json& config);

 protected:
  bool sparse() const override { return true; }
};

// By Keras name. "accuracy"/"acc" resolve to the accuracy matching the loss (accuracy_metric), and keep the
// name the user wrote, as Keras does. Also: "mse", "mae", "binary_accuracy", ...
MetricPtr get(const std::string& name, const std::string& accuracy_metric = "categorical_accuracy");

// Keras's serialized form {"module": "keras.metrics", "class_name", "config", "registered_name"} and back. A user's
// metric registers "package>Name" with register_metric<T>, T having a static from_config(const nlohmann::json&).
nlohmann::json serialize(const Metric& metric);
MetricPtr deserialize(const nlohmann::json& j);
void register_metric_factory(const std::string& registered_name,
                             std::function<MetricPtr(const nlohmann::json&)> factory, std::type_index type);
template <class T>
void register_metric(const std::string& registered_name) {
  register_metric_factory(registered_name, [](const nlohmann::json& c) -> MetricPtr { return T::from_config(c); },
                          typeid(T));
}

}  // namespace nabla::metrics
