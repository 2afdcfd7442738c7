#pragma once
// Keras's activation layers with arguments: ReLU(max_value, negative_slope, threshold), LeakyReLU
// (negative_slope 0.3, the layer's default; the function's is 0.2), ELU(alpha), Softmax (last axis).
#include <optional>

#include "nabla/nn/layer.h"

namespace nabla::nn {

// Elementwise layers: output shape = input shape.
class ElementwiseActivation : public Layer {
 public:
  explicit ElementwiseActivation(std::string type) : Layer(std::move(type)) { supports_masking_ = true; }
  using Layer::call;
  Shape compute_output_shape(const std::vector<Shape>& in) const override { return in.at(0); }
};

class ReLU : public ElementwiseActivation {
 public:
  explicit ReLU(std::optional<double> max_value = std::nullopt, double negative_slope = 0, double threshold = 0);
  Tensor call(const Tensor& x, bool training) override;
  nlohmann::json get_config() const override;
  static std::shared_ptr<ReLU> from_config(const nlohmann::json& config);

 private:
  std::optional<double> max_value_;
  double negative_slope_, threshold_;
};

class LeakyReLU : public ElementwiseActivation {
 public:
  explicit LeakyReLU(double negative_slope = 0.3);
  Tensor call(const Tensor& x, bool training) override;
  nlohmann::json get_config() const override;
  static std::shared_ptr<LeakyReLU> from_config(const nlohmann::json& config);

 private:
  double negative_slope_;
};

class ELU : public ElementwiseActivation {
 public:
  explicit ELU(double alpha = 1.0);
  Tensor call(const Tensor& x, bool training) override;
  nlohmann::json get_config() const override;
  static std::shared_ptr<ELU> from_config(const nlohmann::json& config);

 private:
  double alpha_;
};

class Softmax : public ElementwiseActivation {
 public:
  explicit Softmax(int axis = -1);  // only the last axis
  Tensor call(const Tensor& x, bool training) override;
  nlohmann::json get_config() const override;
  static std::shared_ptr<Softmax> from_config(const nlohmann::json& config);
};

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::ReLU> ReLU(std::optional<double> max_value = std::nullopt, double negative_slope = 0,
                               double threshold = 0);
std::shared_ptr<nn::LeakyReLU> LeakyReLU(double negative_slope = 0.3);
std::shared_ptr<nn::ELU> ELU(double alpha = 1.0);
std::shared_ptr<nn::Softmax> Softmax(int axis = -1);
}  // namespace nabla::layers
