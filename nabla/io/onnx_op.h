#pragma once
// OnnxOp: one ONNX node that has no nabla layer (a Transpose that moves the batch axis, a Pad before a pooling
// window torch pads symmetrically, a Gather with constant indices, ...), run as a layer of the imported
// functional model. It computes with nabla's differentiable ops, so gradients flow through it to the layers
// around it; its constants (the node's initializers) are fixed. It has no Keras counterpart: saving a model that
// holds one as .keras fails naming the node.
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "nabla/nn/layer.h"

namespace nabla::io {

class OnnxOp : public nn::Layer {
 public:
  // fn computes the node's output from its inputs (batch axis first, in the importer's layout); shape_fn its
  // output shape from theirs (-1: unknown, as the batch). Shapes are inferred without running the node, so a
  // hostile graph cannot make the import allocate, and each run checks fn's result against shape_fn.
  using Fn = std::function<Tensor(const std::vector<Tensor>&)>;
  using ShapeFn = std::function<Shape(const std::vector<Shape>&)>;
  // op_type: what the layer computes ("Pad", "Transpose", ...); node_name: the ONNX node it belongs to.
  OnnxOp(std::string op_type, std::string node_name, Fn fn, ShapeFn shape_fn);
  using Layer::call;
  Tensor call(const std::vector<Tensor>& xs, bool training) override;
  // shape_fn's answer; throws if a sample would hold over 2^31 values.
  Shape compute_output_shape(const std::vector<Shape>& in) const override;
  // Throws: there is no Keras layer to write.
  nlohmann::json get_config() const override;
  const std::string& op_type() const { return op_type_; }
  const std::string& node_name() const { return node_name_; }

 private:
  std::string op_type_, node_name_;
  Fn fn_;
  ShapeFn shape_fn_;
};

}  // namespace nabla::io
