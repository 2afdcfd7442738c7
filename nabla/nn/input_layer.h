#pragma once
// InputLayer: the layer behind a functional model's Input(); it holds the input's shape and has no weights.
// Functional models list it in layers() and summary, as Keras does.
#include "nabla/nn/layer.h"

namespace nabla::nn {

class InputLayer : public Layer {
 public:
  explicit InputLayer(std::vector<int64_t> shape);  // without the batch axis; -1 = any size
  using Layer::call;
  Tensor call(const Tensor& x, bool training) override { (void)training; return x; }
  Shape compute_output_shape(const std::vector<Shape>& in) const override;
  // The shape with batch axis -1.
  Shape shape() const;
  // Keras's InputLayer config: {batch_shape, dtype, sparse, ragged, name, optional} (no trainable).
  nlohmann::json get_config() const override;
  static std::shared_ptr<InputLayer> from_config(const nlohmann::json& config);

 private:
  std::vector<int64_t> shape_;
};

}  // namespace nabla::nn
