#pragma once
// Bidirectional (Keras's layers.Bidirectional): runs a recurrent layer forwards and a copy of it backwards
// (go_backwards flipped) over the same sequence and merges the two outputs: merge_mode "concat" (the default),
// "sum", "mul", "ave", or "" (Keras's None: both outputs, from call_both()). With return_sequences the backward
// outputs are put back in input order and masked steps output zeros (Keras forces zero_output_for_mask).
// The weights are the two layers' (".keras": forward_layer/cell, backward_layer/cell).
#include "nabla/nn/recurrent_layer.h"

namespace nabla::nn {

class Bidirectional : public Layer {
 public:
  // layer: a SimpleRNN, LSTM or GRU (its configuration is copied; the layer object itself is not run).
  // backward_layer: Keras's optional backward layer (default: a copy of layer with go_backwards flipped).
  explicit Bidirectional(const LayerPtr& layer, std::string merge_mode = "concat",
                         const LayerPtr& backward_layer = nullptr, std::vector<int64_t> input_shape = {});
  using Layer::call;
  Tensor call(const Tensor& x, bool training) override;
  Tensor call_masked(const Tensor& x, const Tensor& mask, bool training) override;
  // Both directions' outputs (the backward one in input order with return_sequences), for merge_mode None.
  std::pair<Tensor, Tensor> call_both(const Tensor& x, const Tensor& mask = Tensor(), bool training = false);
  Tensor compute_mask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const override;
  void build(const std::vector<Shape>& in) override;
  Shape compute_output_shape(const std::vector<Shape>& in) const override;
  nlohmann::json get_config() const override;
  static std::shared_ptr<Bidirectional> from_config(const nlohmann::json& config);

  const std::shared_ptr<RecurrentLayer>& forward_layer() const { return forward_; }
  const std::shared_ptr<RecurrentLayer>& backward_layer() const { return backward_; }
  const std::string& merge_mode() const { return merge_mode_; }

 private:
  std::pair<Tensor, Tensor> run(const Tensor& x, const Tensor& mask, bool training);
  std::shared_ptr<RecurrentLayer> forward_, backward_;
  std::string merge_mode_;
};

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Bidirectional> Bidirectional(const nn::LayerPtr& layer, const std::string& merge_mode = "concat",
                                                 const nn::LayerPtr& backward_layer = nullptr);
}
