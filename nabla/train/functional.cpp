#include "nabla/train/functional.h"

#include <map>
#include <tuple>

#include "nabla/autograd/node.h"
#include "nabla/nn/input_layer.h"

namespace nabla {

using functional::Node;

KerasTensor Input(const std::vector<int64_t>& shape, const std::string& name) {
  auto layer = std::make_shared<nn::InputLayer>(shape);
  layer->set_name(name.empty() ? nn::unique_layer_name("input_layer") : name);
  layer->ensure_built({layer->shape()});
  auto node = std::make_shared<Node>();
  node->layer = layer;
  node->shape = layer->shape();
  return KerasTensor(node);
}

KerasTensor apply_layer(const nn::LayerPtr& layer, const KerasTensor& x) { return apply_layer(layer, std::vector<KerasTensor>{x}); }

KerasTensor apply_layer(const nn::LayerPtr& layer, const std::vector<KerasTensor>& xs) {
  if (layer == nullptr)
    throw ValueError(detail::concat("apply: null layer"));
  if (xs.empty())
    throw ValueError(detail::concat("apply: layer '", layer->name(), "' needs at least one input"));
  auto node = std::make_shared<Node>();
  node->layer = layer;
  std::vector<Shape> shapes;
  for (const KerasTensor& x : xs) {
    if (!(x.defined()))
      throw ValueError(detail::concat("apply: an input of layer '", layer->name(), "' is an empty KerasTensor"));
    node->inputs.push_back(x.node());
    shapes.push_back(x.shape());
  }
  layer->ensure_built(shapes);
  node->shape = layer->compute_output_shape(shapes);
  return KerasTensor(node);
}

Functional::Functional(std::vector<KerasTensor> inputs, std::vector<KerasTensor> outputs, std::string name)
    : Model(name.empty() ? nn::unique_layer_name("functional") : std::move(name)),
      inputs_(std::move(inputs)),
      outputs_(std::move(outputs)) {
  if (inputs_.empty() || outputs_.empty())
    throw ValueError(detail::concat("Functional model '", name_, "' needs inputs and outputs"));
  std::map<const Node*, size_t> pos;
  for (const KerasTensor& in : inputs_) {
    if (!(in.defined() && in.layer()->type() == "InputLayer"))
      throw ValueError(detail::concat("Functional model '", name_, "': every input must come from Input(), got ",
                                      in.defined() ? "'" + in.name() + "'" : "nothing"));
    if (pos.count(in.node().get()))
      throw ValueError(detail::concat("Functional model '", name_, "': input '", in.name(), "' is listed twice"));
    pos[in.node().get()] = nodes_.size();
    nodes_.push_back(in.node());
    args_.emplace_back();
  }
  // Iterative post-order DFS from the outputs, so deep graphs cannot overflow the stack.
  for (const KerasTensor& out : outputs_) {
    if (!(out.defined()))
      throw ValueError(detail::concat("Functional model '", name_, "': an output is an empty KerasTensor"));
    std::vector<std::pair<std::shared_ptr<Node>, size_t>> stack{{out.node(), 0}};
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (pos.count(node.get())) {
        stack.pop_back();
        continue;
      }
      if (node->inputs.empty())  // an Input that is not among the model's inputs
        throw ValueError(detail::concat("Functional model '", name_, "': graph disconnected: output '", out.name(),
                                        "' depends on input '", node->layer->name(),
                                        "', which is not among the model's inputs"));
      if (next < node->inputs.size()) {
        auto child = node->inputs[next++];
        stack.emplace_back(child, 0);
        continue;
      }
      std::vector<size_t> a;
      for (const auto& in : node->inputs) a.push_back(pos.at(in.get()));
      pos[node.get()] = nodes_.size();
      nodes_.push_back(node);
      args_.push_back(std::move(a));
      stack.pop_back();
    }
  }
  for (const KerasTensor& out : outputs_) output_pos_.push_back(pos.at(out.node().get()));
  std::map<std::string, const nn::Layer*> by_name;
  for (const auto& n : nodes_) {
    auto [it, fresh] = by_name.emplace(n->layer->name(), n->layer.get());
    if (!fresh && it->second != n->layer.get())
      throw ValueError(detail::concat("Functional model '", name_, "': two different layers are named '",
                                      n->layer->name(), "'; layer names must be unique within a model"));
    if (fresh) {
      layers_.push_back(n->layer);
      shapes_.emplace_back(n->layer, n->shape);
    }
  }
}

std::vector<std::string> Functional::output_names() const {
  std::vector<std::string> r;
  for (const KerasTensor& o : outputs_) r.push_back(o.name());
  return r;
}

std::vector<Shape> Functional::output_shapes() const {
  std::vector<Shape> r;
  for (const KerasTensor& o : outputs_) r.push_back(o.shape());
  return r;
}

std::vector<Tensor> Functional::call(const std::vector<Tensor>& inputs, bool training) {
  std::vector<Tensor> masks;
  return call_with_masks(inputs, training, masks);
}

std::vector<Tensor> Functional::call_with_masks(const std::vector<Tensor>& inputs, bool training,
                                                std::vector<Tensor>& output_masks) {
  if (!(inputs.size() == inputs_.size()))
    throw ValueError(detail::concat("model '", name_, "' takes ", inputs_.size(), " inputs, got ", inputs.size()));
  std::vector<Tensor> vals(nodes_.size()), masks(nodes_.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Shape& want = inputs_[i].shape();
    const Shape& got = inputs[i].shape();
    bool ok = got.size() == want.size();
    for (int d = 1; ok && d < want.size(); ++d) ok = want[d] < 0 || want[d] == got[d];
    NABLA_CHECK_SHAPE(ok, "model '", name_, "': input '", inputs_[i].name(), "' expects shape ", want.str(),
                      ", got shape ", got.str());
    vals[i] = inputs[i];
  }
  autograd::NameScope scope(name_);
  std::vector<Tensor> args, arg_masks;
  for (size_t n = inputs_.size(); n < nodes_.size(); ++n) {
    args.clear();
    arg_masks.clear();
    for (size_t a : args_[n]) {
      args.push_back(vals[a]);
      arg_masks.push_back(masks[a]);
    }
    std::tie(vals[n], masks[n]) = nodes_[n]->layer->call_with_mask(args, arg_masks, training);
  }
  std::vector<Tensor> outs;
  output_masks.clear();
  for (size_t p : output_pos_) {
    outs.push_back(vals[p]);
    output_masks.push_back(masks[p]);
  }
  return outs;
}

}  // namespace nabla
