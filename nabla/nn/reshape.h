#pragma once
// Reshape: [batch, ...] -> [batch, target_shape...]; one entry of target_shape may be -1 (inferred).
#include "nabla/nn/layer.h"

namespace nabla::nn {

class Reshape : public Layer {
 public:
  explicit Reshape(std::vector<int64_t> target_shape, std::vector<int64_t> input_shape = {});
  using Layer::call;
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const std::vector<Shape>& in) const override;
  nlohmann::json get_config() const override;
  static std::shared_ptr<Reshape> from_config(const nlohmann::json& config);

 private:
  std::vector<int64_t> target_;
};

}  // namespace nabla::nn

namespace nabla::layers {
// layers::Reshape({7, 7, 16}), layers::Reshape({-1, 4}); input_shape as Keras's input_shape=.
std::shared_ptr<nn::Reshape> Reshape(std::vector<int64_t> target_shape, std::vector<int64_t> input_shape = {});
}
