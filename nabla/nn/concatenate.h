#pragma once
// Concatenate: joins inputs along `axis` (default the last); every other axis must match (Keras's merge layer).
#include "nabla/nn/layer.h"

namespace nabla::nn {

class Concatenate : public Layer {
 public:
  explicit Concatenate(int axis = -1);
  using Layer::call;
  Tensor call(const std::vector<Tensor>& xs, bool training) override;
  Shape compute_output_shape(const std::vector<Shape>& in) const override;
  // Keras's Concatenate.compute_mask: an input without a mask counts as all-ones; along the last axis a step is
  // kept when any input keeps it, along another axis the masks are concatenated.
  Tensor compute_mask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const override;
  nlohmann::json get_config() const override;
  static std::shared_ptr<Concatenate> from_config(const nlohmann::json& config);

 private:
  int axis_;
};

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Concatenate> Concatenate(int axis = -1);
}
