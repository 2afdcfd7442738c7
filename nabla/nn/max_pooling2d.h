#pragma once
// MaxPooling2D: the maximum over each pool_size window of an NHWC input (Keras's defaults: pool 2x2, strides = pool).
#include "nabla/nn/pooling2d.h"

namespace nabla::nn {

class MaxPooling2D : public Pooling2D {
 public:
  explicit MaxPooling2D(Pooling2DOptions opts = {}) : Pooling2D("MaxPooling2D", std::move(opts)) {}
  static std::shared_ptr<MaxPooling2D> from_config(const nlohmann::json& config) {
    auto layer = std::make_shared<MaxPooling2D>(options_from_config(config, "MaxPooling2D"));
    layer->load_base_config(config);
    return layer;
  }

 protected:
  Tensor pool(const Tensor& x, const Pool2DArgs& args) const override;
};

}  // namespace nabla::nn

namespace nabla::layers {
// layers::MaxPooling2D(2), layers::MaxPooling2D({3, 3}, 2, "same").
std::shared_ptr<nn::MaxPooling2D> MaxPooling2D(nn::Size2 pool_size = 2, std::optional<nn::Size2> strides = {},
    const std::string& padding = "valid");
}  // namespace nabla::layers
