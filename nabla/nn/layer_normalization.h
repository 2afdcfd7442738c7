#pragma once
// LayerNormalization (Keras 3): normalizes each sample over `axis` (default the last axis) with its own mean
// and variance, then scales by gamma and shifts by beta (shape: the normalized axes). Keras's defaults:
// epsilon 1e-3 (PyTorch's nn.LayerNorm uses 1e-5), gamma ones, beta zeros. The normalized axes must be the
// trailing axes (the case of every Transformer; Keras also allows others). Passes a mask on unchanged.
#include "nabla/nn/layer.h"

namespace nabla::nn {

struct LayerNormalizationOptions {
  std::vector<int64_t> axis = {-1};
  double epsilon = 1e-3;
  bool center = true;  // learn beta
  bool scale = true;   // learn gamma
  Initializer beta_initializer = "zeros";
  Initializer gamma_initializer = "ones";
  Regularizer beta_regularizer;
  Regularizer gamma_regularizer;
  std::vector<int64_t> input_shape;  // only for the first layer of a Sequential
};

class LayerNormalization : public Layer {
 public:
  explicit LayerNormalization(LayerNormalizationOptions opts = {});
  using Layer::call;
  Tensor call(const Tensor& x, bool training) override;
  void build(const std::vector<Shape>& in) override;
  Shape compute_output_shape(const std::vector<Shape>& in) const override;
  nlohmann::json get_config() const override;
  static std::shared_ptr<LayerNormalization> from_config(const nlohmann::json& config);
  Tensor gamma() const;  // undefined when scale = false
  Tensor beta() const;   // undefined when center = false
  const LayerNormalizationOptions& options() const { return opts_; }

 private:
  // The shape of gamma/beta (the normalized axes' sizes) for an input shape; checks the axes.
  Shape param_shape(const Shape& in) const;
  LayerNormalizationOptions opts_;
};

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::LayerNormalization> LayerNormalization(nn::LayerNormalizationOptions opts = {});
}
