#include "nabla/train/sequential.h"

#include "nabla/autograd/node.h"
#include "nabla/nn/conv2d.h"

namespace nabla {

Sequential::Sequential(std::vector<nn::LayerPtr> layers, std::string name)
    : Model(name.empty() ? nn::unique_layer_name("sequential") : std::move(name)) {
  for (auto& l : layers) add(std::move(l));
}

void Sequential::add(nn::LayerPtr layer) {
  if (layer == nullptr)
    throw ValueError(detail::concat("Sequential::add: null layer"));
  if (layer->name().empty()) layer->set_name(nn::unique_layer_name(nn::snake_case(layer->type())));
  if (layers_.empty() && !layer->declared_input_shape().empty()) {
    Shape s{-1};
    for (int64_t d : layer->declared_input_shape()) s.push_back(d);
    input_shape_ = s;
  }
  layers_.push_back(std::move(layer));
  layers_changed();
}

void Sequential::build(const Shape& input_shape) {
  Shape s = input_shape;
  if (s.size()) s[0] = -1;
  for (auto& l : layers_) {
    l->ensure_built({s});
    s = l->compute_output_shape({s});
  }
  input_shape_ = input_shape;
}

void Sequential::build_if_possible() {
  if (input_shape_ && !layers_.empty() && !layers_.back()->built()) build(*input_shape_);
}

std::vector<std::pair<nn::LayerPtr, Shape>> Sequential::layer_output_shapes() const {
  std::vector<std::pair<nn::LayerPtr, Shape>> r;
  if (!input_shape_) return r;
  Shape s = *input_shape_;
  s[0] = -1;
  for (auto& l : layers_) {
    s = l->compute_output_shape({s});
    r.emplace_back(l, s);
  }
  return r;
}

std::vector<Tensor> Sequential::call(const std::vector<Tensor>& inputs, bool training) {
  std::vector<Tensor> masks;
  return call_with_masks(inputs, training, masks);
}

std::vector<Tensor> Sequential::call_with_masks(const std::vector<Tensor>& inputs, bool training,
                                                std::vector<Tensor>& output_masks) {
  if (!(inputs.size() == 1))
    throw ValueError(detail::concat("Sequential model '", name_, "' takes one input, got ", inputs.size()));
  if (layers_.empty())
    throw ValueError(detail::concat("Sequential model '", name_, "' has no layers"));
  if (!input_shape_) input_shape_ = inputs[0].shape();
  autograd::NameScope scope(name_);
  Tensor x = inputs[0], mask;
  for (size_t i = 0; i < layers_.size(); ++i) {
    const nn::LayerPtr& l = layers_[i];
    // Conv2D(relu) -> MaxPooling2D(2): one op where nabla has a kernel for the pair (nn/conv2d.h). Neither layer
    // passes a mask on.
    auto* conv = dynamic_cast<nn::Conv2D*>(l.get());
    auto* pool = i + 1 < layers_.size() ? dynamic_cast<nn::MaxPooling2D*>(layers_[i + 1].get()) : nullptr;
    if (conv && pool && !mask.defined()) {
      if (std::optional<Tensor> y = conv->call_with_max_pool(x, *pool)) {
        x = std::move(*y);
        ++i;
        continue;
      }
    }
    auto [y, m] = l->call_with_mask({x}, {mask}, training);
    x = std::move(y);
    mask = std::move(m);
  }
  output_masks = {mask};
  return {x};
}

}  // namespace nabla
