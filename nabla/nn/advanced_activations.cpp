#include "nabla/nn/advanced_activations.h"

#include "nabla/nn/serialization.h"

#include "nabla/ops/activations.h"

namespace nabla::nn {

ReLU::ReLU(std::optional<double> max_value, double negative_slope, double threshold)
    : ElementwiseActivation("ReLU"), max_value_(max_value), negative_slope_(negative_slope), threshold_(threshold) {
  // Keras's ReLU layer refuses negative arguments.
  NABLA_CHECK(!max_value_ || *max_value_ >= 0, "ReLU: max_value cannot be negative, got ", *max_value_);
  NABLA_CHECK(negative_slope_ >= 0, "ReLU: negative_slope cannot be negative, got ", negative_slope_);
  NABLA_CHECK(threshold_ >= 0, "ReLU: threshold cannot be negative, got ", threshold_);
}

Tensor ReLU::call(const Tensor& x, bool) {
  return relu(x, ReluOptions{.negative_slope = negative_slope_, .max_value = max_value_, .threshold = threshold_});
}

nlohmann::json ReLU::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["max_value"] = max_value_ ? nlohmann::json(*max_value_) : nlohmann::json(nullptr);
  c["negative_slope"] = negative_slope_;
  c["threshold"] = threshold_;
  return c;
}

std::shared_ptr<ReLU> ReLU::from_config(const nlohmann::json& c) {
  const std::string who = "ReLU config";
  auto layer = std::make_shared<ReLU>(saving::get_optional_double(c, "max_value", who),
                                      saving::get_double(c, "negative_slope", 0.0, who),
                                      saving::get_double(c, "threshold", 0.0, who));
  layer->load_base_config(c);
  return layer;
}

LeakyReLU::LeakyReLU(double negative_slope) : ElementwiseActivation("LeakyReLU"), negative_slope_(negative_slope) {
  NABLA_CHECK(negative_slope_ >= 0, "LeakyReLU: negative_slope cannot be negative, got ", negative_slope_);
}

Tensor LeakyReLU::call(const Tensor& x, bool) { return leaky_relu(x, negative_slope_); }

nlohmann::json LeakyReLU::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["negative_slope"] = negative_slope_;
  return c;
}

std::shared_ptr<LeakyReLU> LeakyReLU::from_config(const nlohmann::json& c) {
  auto layer = std::make_shared<LeakyReLU>(saving::get_double(c, "negative_slope", 0.3, "LeakyReLU config"));
  layer->load_base_config(c);
  return layer;
}

ELU::ELU(double alpha) : ElementwiseActivation("ELU"), alpha_(alpha) {}

Tensor ELU::call(const Tensor& x, bool) { return elu(x, alpha_); }

nlohmann::json ELU::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["alpha"] = alpha_;
  return c;
}

std::shared_ptr<ELU> ELU::from_config(const nlohmann::json& c) {
  auto layer = std::make_shared<ELU>(saving::get_double(c, "alpha", 1.0, "ELU config"));
  layer->load_base_config(c);
  return layer;
}

Softmax::Softmax(int axis) : ElementwiseActivation("Softmax") {
  NABLA_CHECK(axis == -1, "Softmax: only axis=-1 (the last axis) is supported, got axis=", axis);
}

Tensor Softmax::call(const Tensor& x, bool) { return softmax(x); }

nlohmann::json Softmax::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["axis"] = -1;
  return c;
}

std::shared_ptr<Softmax> Softmax::from_config(const nlohmann::json& c) {
  auto layer = std::make_shared<Softmax>(int(saving::get_int(c, "axis", -1, "Softmax config")));
  layer->load_base_config(c);
  return layer;
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::ReLU> ReLU(std::optional<double> max_value, double negative_slope, double threshold) {
  return std::make_shared<nn::ReLU>(max_value, negative_slope, threshold);
}
std::shared_ptr<nn::LeakyReLU> LeakyReLU(double negative_slope) { return std::make_shared<nn::LeakyReLU>(negative_slope); }
std::shared_ptr<nn::ELU> ELU(double alpha) { return std::make_shared<nn::ELU>(alpha); }
std::shared_ptr<nn::Softmax> Softmax(int axis) { return std::make_shared<nn::Softmax>(axis); }
}  // namespace nabla::layers
