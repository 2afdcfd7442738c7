#pragma once
// Add: the elementwise sum of several inputs of the same shape (Keras's merge layer; size-1 axes broadcast).
#include "nabla/nn/layer.h"

namespace nabla::nn {

class Add : public Layer {
 public:
  Add() : Layer("Add") { supports_masking_ = true; }  // the AND of the inputs' masks, as Keras
  using Layer::call;
  Tensor call(const std::vector<Tensor>& xs, bool training) override;
  Shape compute_output_shape(const std::vector<Shape>& in) const override;
  static std::shared_ptr<Add> from_config(const nlohmann::json& config);
};

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Add> Add();
}
