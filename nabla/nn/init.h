#pragma once
// Weight initializers with Keras's names, formulas and configs. Fans follow Keras: for a kernel of shape
// [..receptive.., fan_in, fan_out] (Dense [in, out], Conv2D [kh, kw, in, out]).
//
// An Initializer is a small handle to an object that fills a tensor and describes itself (class_name +
// get_config, as keras.initializers.*). It converts from a Keras name, so options read as in Keras:
// {.kernel_initializer = "he_normal"} or {.kernel_initializer = nn::initializers::HeNormal(42)}.
// A custom initializer subclasses InitializerBase and is registered with register_initializer<T>("pkg>Name").
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <typeindex>

#include "nabla/core/random.h"
#include "nabla/core/tensor.h"

namespace nabla::nn {

class InitializerBase {
 public:
  virtual ~InitializerBase() = default;
  virtual void fill(Tensor& t) const = 0;
  virtual std::string class_name() const = 0;  // Keras's class name: "GlorotUniform", "Zeros", ...
  virtual nlohmann::json get_config() const;   // default: {}
};

class Initializer {
 public:
  Initializer(const char* name);                                   // NOLINT: "glorot_uniform", "zeros", ...
  Initializer(const std::string& name);                            // NOLINT
  Initializer(std::shared_ptr<const InitializerBase> impl);       // NOLINT
  void operator()(Tensor& t) const { impl_->fill(t); }
  std::string class_name() const { return impl_->class_name(); }
  nlohmann::json get_config() const;
  const InitializerBase& impl() const { return *impl_; }

 private:
  std::shared_ptr<const InitializerBase> impl_;
};

// Keras's VarianceScaling: draws with variance scale / n, n = fan_in, fan_out or their mean (mode), from a
// truncated normal, a normal or a uniform (distribution). The named initializers below are its presets.
// seed: a fixed seed gives the same values on every call (Keras's behaviour for a seeded initializer object);
// without one, values come from the global generator (or `gen` when given; it is not part of the config).
class VarianceScaling : public InitializerBase {
 public:
  VarianceScaling(double scale = 1.0, std::string mode = "fan_in", std::string distribution = "truncated_normal",
                  std::optional<int64_t> seed = {}, Generator* gen = nullptr, std::string class_name = "");
  void fill(Tensor& t) const override;
  std::string class_name() const override { return class_name_.empty() ? "VarianceScaling" : class_name_; }
  nlohmann::json get_config() const override;

 private:
  double scale_;
  std::string mode_, distribution_;
  std::optional<int64_t> seed_;
  Generator* gen_;
  std::string class_name_;  // a preset (GlorotUniform, ...) writes only {seed, input_axes, output_axes}
};

Initializer glorot_uniform(Generator* gen = nullptr);
Initializer glorot_normal(Generator* gen = nullptr);
Initializer he_normal(Generator* gen = nullptr);
Initializer he_uniform(Generator* gen = nullptr);
Initializer lecun_normal(Generator* gen = nullptr);
Initializer lecun_uniform(Generator* gen = nullptr);
Initializer random_normal(double mean = 0.0, double stddev = 0.05, Generator* gen = nullptr);
Initializer random_uniform(double lo = -0.05, double hi = 0.05, Generator* gen = nullptr);
Initializer truncated_normal(double mean = 0.0, double stddev = 0.05, Generator* gen = nullptr);
Initializer constant(double value);
Initializer zeros();
Initializer ones();
// By Keras name: "glorot_uniform", "he_normal", "zeros", ...
Initializer initializer(const std::string& name);

// Seeded versions with Keras's class names, e.g. initializers::HeNormal(42).
namespace initializers {
Initializer GlorotUniform(std::optional<int64_t> seed = {});
Initializer GlorotNormal(std::optional<int64_t> seed = {});
Initializer HeNormal(std::optional<int64_t> seed = {});
Initializer HeUniform(std::optional<int64_t> seed = {});
Initializer LecunNormal(std::optional<int64_t> seed = {});
Initializer LecunUniform(std::optional<int64_t> seed = {});
Initializer RandomNormal(double mean = 0.0, double stddev = 0.05, std::optional<int64_t> seed = {});
Initializer RandomUniform(double minval = -0.05, double maxval = 0.05, std::optional<int64_t> seed = {});
Initializer TruncatedNormal(double mean = 0.0, double stddev = 0.05, std::optional<int64_t> seed = {});
}  // namespace initializers

// Serialized form {"module": "keras.initializers", "class_name", "config", "registered_name"} and back (a plain
// Keras name string is accepted too).
nlohmann::json serialize_initializer(const Initializer& init);
Initializer deserialize_initializer(const nlohmann::json& j);
// Registers a custom initializer class: T::from_config(const json&) -> std::shared_ptr<T>.
void register_initializer_factory(const std::string& registered_name,
                                  std::function<std::shared_ptr<const InitializerBase>(const nlohmann::json&)> f,
                                  std::type_index type);
template <class T>
void register_initializer(const std::string& registered_name) {
  register_initializer_factory(registered_name, [](const nlohmann::json& c) { return T::from_config(c); },
                               typeid(T));
}

// (fan_in, fan_out) of a weight shape, as Keras computes them.
std::pair<double, double> compute_fans(const Shape& shape);

}  // namespace nabla::nn
