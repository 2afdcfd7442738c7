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
  Initializer beta_initializer = "zeros";
  Initializer gamma_initializer = "ones";
  Initializer moving_mean_initializer = "zeros";
  Initializer moving_variance_initializer = "ones";
  std::vector<int64_t> input_shape;  // only for the first layer of a Sequential
};

class BatchNormalization : public Layer {
 public:
  explicit BatchNormalization(BatchNormalizationOptions opts = {});
  using Layer::call;
  Tensor call(const Tensor& x, bool training) override;
  // In training, the batch statistics (used to normalize and to update the moving ones) come from the unmasked
  // steps only (Keras 3's masked moments); in inference the mask changes nothing.
  Tensor call_masked(const Tensor& x, const Tensor& mask, bool training) override;
  void build(const std::vector<Shape>& in) override;
  Shape compute_output_shape(const std::vector<Shape>& in) const override;
  nlohmann::json get_config() const override;
  static std::shared_ptr<BatchNormalization> from_config(const nlohmann::json& config);
  Tensor gamma() const;  // undefined when scale = false
  Tensor beta() const;   // undefined when center = false
  Tensor moving_mean() const { return weight("moving_mean"); }
  Tensor moving_variance() const { return weight("moving_variance"); }

 private:
  BatchNormalizationOptions opts_;
};

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::BatchNormalization> BatchNormalization(nn::BatchNormalizationOptions opts = {});
}
