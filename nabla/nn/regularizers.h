#pragma once
// Weight regularizers (Keras's keras.regularizers): a penalty computed from a weight and added to the training
// loss. L1: l1 * sum(|w|); L2: l2 * sum(w^2); L1L2: both. The penalty is a differentiable scalar tensor, so its
// gradient (l1 * sign(w), 2 * l2 * w) reaches the weight through autograd. Layers take them as options
// ({.kernel_regularizer = nn::regularizers::L2(1e-4)} or "l2") and report them through
// Layer::regularization_losses() (Keras's layer.losses).
// A custom regularizer subclasses RegularizerBase and is registered with register_regularizer<T>("pkg>Name").
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <typeindex>

#include "nabla/core/tensor.h"

namespace nabla::nn {

class RegularizerBase {
 public:
  virtual ~RegularizerBase() = default;
  virtual Tensor penalty(const Tensor& w) const = 0;  // a scalar
  virtual std::string class_name() const = 0;
  virtual nlohmann::json get_config() const = 0;
};

// A handle that may be empty (no regularizer). Converts from Keras's names "l1", "l2", "l1_l2" (Keras's default
// factors: 0.01, 0.01, and 0 for both).
class Regularizer {
 public:
  Regularizer() = default;
  Regularizer(std::nullptr_t) {}                               // NOLINT
  Regularizer(const char* name);                              // NOLINT
  Regularizer(const std::string& name);                       // NOLINT
  Regularizer(std::shared_ptr<const RegularizerBase> impl) : impl_(std::move(impl)) {}  // NOLINT
  explicit operator bool() const { return impl_ != nullptr; }
  Tensor operator()(const Tensor& w) const { return impl_->penalty(w); }
  std::string class_name() const { return impl_->class_name(); }
  nlohmann::json get_config() const;
  const RegularizerBase& impl() const { return *impl_; }

 private:
  std::shared_ptr<const RegularizerBase> impl_;
};

namespace regularizers {
Regularizer L1(double l1 = 0.01);
Regularizer L2(double l2 = 0.01);
Regularizer L1L2(double l1 = 0.0, double l2 = 0.0);
}  // namespace regularizers

// {"module": "keras.regularizers", ...}, or null for an empty handle; and back (null, a name or an object).
nlohmann::json serialize_regularizer(const Regularizer& r);
Regularizer deserialize_regularizer(const nlohmann::json& j);
void register_regularizer_factory(const std::string& registered_name,
                                  std::function<std::shared_ptr<const RegularizerBase>(const nlohmann::json&)> f,
                                  std::type_index type);
template <class T>
void register_regularizer(const std::string& registered_name) {
  register_regularizer_factory(registered_name, [](const nlohmann::json& c) { return T::from_config(c); },
                               typeid(T));
}

}  // namespace nabla::nn
