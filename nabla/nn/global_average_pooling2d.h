#pragma once
// GlobalAveragePooling2D: [batch, h, w, c] -> [batch, c], the mean over the spatial axes.
#include "nabla/nn/layer.h"

namespace nabla::nn {

class GlobalAveragePooling2D : public Layer {
 public:
  explicit GlobalAveragePooling2D(std::vector<int64_t> input_shape = {});
  using Layer::call;
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const std::vector<Shape>& in) const override;
  nlohmann::json get_config() const override;
  static std::shared_ptr<GlobalAveragePooling2D> from_config(const nlohmann::json& config);
};

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::GlobalAveragePooling2D> GlobalAveragePooling2D(std::vector<int64_t> input_shape = {});
}
