#pragma once
// Sequential: a plain stack of layers (Keras's models.Sequential).
#include <initializer_list>
#include <nlohmann/json_fwd.hpp>

#include "nabla/train/model.h"

namespace nabla {

class Sequential : public Model {
 public:
  explicit Sequential(std::vector<nn::LayerPtr> layers = {}, std::string name = "");
  Sequential(std::initializer_list<nn::LayerPtr> layers) : Sequential(std::vector<nn::LayerPtr>(layers)) {}
  void add(nn::LayerPtr layer);

  std::vector<Tensor> call(const std::vector<Tensor>& inputs, bool training) override;
  std::vector<Tensor> call_with_masks(const std::vector<Tensor>& inputs, bool training,
                                      std::vector<Tensor>& output_masks) override;
  std::vector<nn::LayerPtr> layers() const override { return layers_; }
  void build_if_possible() override;
  std::vector<std::pair<nn::LayerPtr, Shape>> layer_output_shapes() const override;
  // Builds every layer for inputs of this shape (batch axis included, may be -1).
  void build(const Shape& input_shape);
  // Keras's Sequential config {name, trainable, dtype, layers: [InputLayer, ...], build_input_shape} and back
  // (defined in train/model_config.cpp).
  nlohmann::json get_config() const;
  static std::shared_ptr<Sequential> from_config(const nlohmann::json& config);

 private:
  std::vector<nn::LayerPtr> layers_;
  std::optional<Shape> input_shape_;
};

}  // namespace nabla
