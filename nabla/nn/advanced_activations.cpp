#include "nabla/nn/advanced_activations.h"

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

std::string ReLU::config_str() const {
  return detail::concat("max_value=", max_value_ ? std::to_string(*max_value_) : std::string("None"),
                        ", negative_slope=", negative_slope_, ", threshold=", threshold_);
}

LeakyReLU::LeakyReLU(double negative_slope) : ElementwiseActivation("LeakyReLU"), negative_slope_(negative_slope) {
  NABLA_CHECK(negative_slope_ >= 0, "LeakyReLU: negative_slope cannot be negative, got ", negative_slope_);
}

Tensor LeakyReLU::call(const Tensor& x, bool) { return leaky_relu(x, negative_slope_); }

std::string LeakyReLU::config_str() const { return detail::concat("negative_slope=", negative_slope_); }

ELU::ELU(double alpha) : ElementwiseActivation("ELU"), alpha_(alpha) {}

Tensor ELU::call(const Tensor& x, bool) { return elu(x, alpha_); }

std::string ELU::config_str() const { return detail::concat("alpha=", alpha_); }

Softmax::Softmax(int axis) : ElementwiseActivation("Softmax") {
  NABLA_CHECK(axis == -1, "Softmax: only axis=-1 (the last axis) is supported, got axis=", axis);
}

Tensor Softmax::call(const Tensor& x, bool) { return softmax(x); }

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::ReLU> ReLU(std::optional<double> max_value, double negative_slope, double threshold) {
  return std::make_shared<nn::ReLU>(max_value, negative_slope, threshold);
}
std::shared_ptr<nn::LeakyReLU> LeakyReLU(double negative_slope) { return std::make_shared<nn::LeakyReLU>(negative_slope); }
std::shared_ptr<nn::ELU> ELU(double alpha) { return std::make_shared<nn::ELU>(alpha); }
std::shared_ptr<nn::Softmax> Softmax(int axis) { return std::make_shared<nn::Softmax>(axis); }
}  // namespace nabla::layers
