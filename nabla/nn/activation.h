#pragma once
// Activation layer: applies a named activation (Keras's layers.Activation).
#include "nabla/nn/layer.h"

namespace nabla::nn {

class Activation : public Layer {
 public:
  explicit Activation(std::string activation);
  using Layer::call;
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const std::vector<Shape>& in) const override { return in.at(0); }
  nlohmann::json get_config() const override;
  static std::shared_ptr<Activation> from_config(const nlohmann::json& config);

 private:
  std::string activation_;
};

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Activation> Activation(const std::string& activation);
}
