#pragma once
// BatchNormalization over the last (channel) axis, with Keras's defaults (momentum 0.99, epsilon 1e-3, gamma
// ones, beta zeros). Uses batch statistics in training (fit) and updates the moving statistics, which are
// non-trainable weights; uses the moving statistics in inference (evaluate, predict).
#include "nabla/nn/layer.h"

namespace nabla::nn {

struct BatchNormalizationOptions {
  double momentum = 0.99;
  double epsilon = 1e-3;
  bool center = true;   // learn beta
  bool scale = true;    // learn gamma
  std::string beta_initializer = "zeros";
  std::string gamma_initializer = "ones";
  std::string moving_mean_initializer = "zeros";
  std::string moving_variance_initializer = "ones";
  std::vector<int64_t> input_shape;  // only for the first layer of a Sequential
};

class BatchNormalization : public Layer {
 public:
  explicit BatchNormalization(BatchNormalizationOptions opts = {});
  using Layer::call;
  Tensor call(const Tensor& x, bool training) override;
  void build(const std::vector<Shape>& in) override;
  Shape compute_output_shape(const std::vector<Shape>& in) const override;
  std::string config_str() const override;
  Tensor gamma() const;
  Tensor beta() const;
  const Tensor& moving_mean() const;
  const Tensor& moving_variance() const;

 private:
  const Tensor& weight(const std::string& name) const;
  BatchNormalizationOptions opts_;
};

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::BatchNormalization> BatchNormalization(nn::BatchNormalizationOptions opts = {});
}
