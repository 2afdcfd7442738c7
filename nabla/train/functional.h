#pragma once
// The functional API (Keras's Input + calling layers on symbolic tensors + Model(inputs, outputs)):
//
//   auto a = Input({4}, "a"), b = Input({3}, "b");
//   auto h = apply_layer(layers::Concatenate(), {apply_layer(layers::Dense(8, "relu"), a), b});
//   Functional model({a, b}, {apply_layer(layers::Dense(1), h), apply_layer(layers::Dense(3, "softmax"), h)});
//
// apply_layer() builds the layer and infers the output shape at once, so shape errors surface where the graph is
// written, naming the layer and both shapes. Functional runs the graph in topological order.
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "nabla/train/model.h"

namespace nabla {

namespace functional {
// One application of a layer in the graph (a layer used twice has two nodes, sharing weights).
struct Node {
  nn::LayerPtr layer;
  std::vector<std::shared_ptr<Node>> inputs;
  Shape shape;  // output shape, batch axis -1
};
}  // namespace functional

// A symbolic tensor: a shape (batch axis -1) and the layer application that produces it.
class KerasTensor {
 public:
  KerasTensor() = default;
  explicit KerasTensor(std::shared_ptr<functional::Node> node) : node_(std::move(node)) {}
  bool defined() const { return node_ != nullptr; }
  const Shape& shape() const { return node_->shape; }
  const nn::LayerPtr& layer() const { return node_->layer; }
  const std::string& name() const { return node_->layer->name(); }
  const std::shared_ptr<functional::Node>& node() const { return node_; }

 private:
  std::shared_ptr<functional::Node> node_;
};

// A model input of the given shape without the batch axis (-1 = any size); name defaults to "input_layer".
KerasTensor Input(const std::vector<int64_t>& shape, const std::string& name = "");
// Applies a layer to symbolic inputs: builds it and infers its output shape. (Not named `apply`: with a
// std::shared_ptr argument, argument-dependent lookup would pick std::apply instead.)
KerasTensor apply_layer(const nn::LayerPtr& layer, const KerasTensor& x);
KerasTensor apply_layer(const nn::LayerPtr& layer, const std::vector<KerasTensor>& xs);

class Functional : public Model {
 public:
  Functional(std::vector<KerasTensor> inputs, std::vector<KerasTensor> outputs, std::string name = "");
  Functional(const KerasTensor& input, const KerasTensor& output, std::string name = "")
      : Functional(std::vector<KerasTensor>{input}, std::vector<KerasTensor>{output}, std::move(name)) {}

  std::vector<Tensor> call(const std::vector<Tensor>& inputs, bool training) override;
  std::vector<Tensor> call_with_masks(const std::vector<Tensor>& inputs, bool training,
                                      std::vector<Tensor>& output_masks) override;
  std::vector<nn::LayerPtr> layers() const override { return layers_; }
  std::vector<std::pair<nn::LayerPtr, Shape>> layer_output_shapes() const override { return shapes_; }
  std::vector<std::string> output_names() const override;
  std::vector<Shape> output_shapes() const override;
  const std::vector<KerasTensor>& inputs() const { return inputs_; }
  const std::vector<KerasTensor>& outputs() const { return outputs_; }
  // Keras's functional config {name, trainable, layers: [{..., name, inbound_nodes}], input_layers, output_layers}
  // and back (defined in train/model_config.cpp).
  nlohmann::json get_config() const;
  static std::shared_ptr<Functional> from_config(const nlohmann::json& config);

 private:
  std::vector<KerasTensor> inputs_, outputs_;
  std::vector<std::shared_ptr<functional::Node>> nodes_;  // topological order, inputs first
  std::vector<std::vector<size_t>> args_;                 // per node: positions of its inputs in nodes_
  std::vector<size_t> output_pos_;
  std::vector<nn::LayerPtr> layers_;                      // each layer once, in first-use order
  std::vector<std::pair<nn::LayerPtr, Shape>> shapes_;
};

}  // namespace nabla
