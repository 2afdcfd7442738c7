#pragma once
// TimeDistributed (Keras's layers.TimeDistributed): applies a layer to every timestep of [N, T, ...] inputs,
// as one call on the [N * T, ...] batch. The weights are the wrapped layer's (".keras": "layer"). A mask passes
// on unchanged.
#include "nabla/nn/layer.h"

namespace nabla::nn {

class TimeDistributed : public Layer {
 public:
  explicit TimeDistributed(LayerPtr layer, std::vector<int64_t> input_shape = {});
  using Layer::call;
  Tensor call(const Tensor& x, bool training) override;
  void build(const std::vector<Shape>& in) override;
  Shape compute_output_shape(const std::vector<Shape>& in) const override;
  nlohmann::json get_config() const override;
  static std::shared_ptr<TimeDistributed> from_config(const nlohmann::json& config);
  const LayerPtr& layer() const { return layer_; }

 private:
  LayerPtr layer_;
};

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::TimeDistributed> TimeDistributed(nn::LayerPtr layer);
}
