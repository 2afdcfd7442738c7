#pragma once
// Flatten: [N, d1, d2, ...] -> [N, d1*d2*...] (a view when the input is contiguous).
#include "nabla/nn/layer.h"

namespace nabla::nn {

class Flatten : public Layer {
 public:
  explicit Flatten(std::vector<int64_t> input_shape = {});
  using Layer::call;
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const std::vector<Shape>& in) const override;
  nlohmann::json get_config() const override;
  static std::shared_ptr<Flatten> from_config(const nlohmann::json& config);
};

}  // namespace nabla::nn

namespace nabla::layers {
// layers::Flatten({28, 28}) is Keras's Flatten(input_shape=(28, 28)).
std::shared_ptr<nn::Flatten> Flatten(std::vector<int64_t> input_shape = {});
}
