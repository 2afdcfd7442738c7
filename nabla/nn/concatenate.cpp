#include "nabla/nn/concatenate.h"

#include <nlohmann/json.hpp>

#include "nabla/nn/masking.h"
#include "nabla/nn/serialization.h"
#include "nabla/ops/math.h"
#include "nabla/ops/shape_ops.h"

namespace nabla::nn {

Concatenate::Concatenate(int axis) : Layer("Concatenate"), axis_(axis) { supports_masking_ = true; }

Tensor Concatenate::compute_mask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& masks) const {
  bool any = false;
  for (const Tensor& m : masks) any = any || m.defined();
  if (!any) return Tensor();
  const int rank = inputs.at(0).dim();
  const int axis = axis_ < 0 ? axis_ + rank : axis_;
  std::vector<Tensor> ms;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Shape s = inputs[i].shape();
    s.erase(s.size() - 1);
    ms.push_back(masks[i].defined() ? mask_as(masks[i], f32) : Tensor::ones(s, f32));
    check_mask_shape(inputs[i], ms.back(), "layer '" + name() + "' (Concatenate)");
  }
  if (axis == rank - 1) {
    Tensor r = ms[0];
    for (size_t i = 1; i < ms.size(); ++i) r = maximum(r, ms[i]);  // OR
    return mask_as(r, u8);
  }
  return mask_as(concat(ms, axis), u8);
}

Shape Concatenate::compute_output_shape(const std::vector<Shape>& in) const {
  NABLA_CHECK_SHAPE(in.size() >= 2, "layer '", name(), "' (Concatenate) needs at least 2 inputs, got ", in.size());
  int rank = in[0].size();
  int axis = axis_ < 0 ? axis_ + rank : axis_;
  NABLA_CHECK_SHAPE(axis >= 1 && axis < rank, "layer '", name(), "' (Concatenate) axis ", axis_,
                    " is not a non-batch axis of inputs of shape ", in[0].str());
  Shape out = in[0];
  for (size_t i = 1; i < in.size(); ++i) {
    bool ok = in[i].size() == rank;
    for (int d = 1; ok && d < rank; ++d) ok = d == axis || in[i][d] == out[d];
    NABLA_CHECK_SHAPE(ok, "layer '", name(), "' (Concatenate) needs inputs that match except on axis ", axis_,
                      ", got ", in[0].str(), " and ", in[i].str());
    out[axis] = out[axis] < 0 || in[i][axis] < 0 ? -1 : out[axis] + in[i][axis];
  }
  return out;
}

Tensor Concatenate::call(const std::vector<Tensor>& xs, bool) {
  std::vector<Shape> shapes;
  for (const Tensor& x : xs) shapes.push_back(x.shape());
  compute_output_shape(shapes);
  return concat(xs, axis_ < 0 ? axis_ + xs[0].dim() : axis_);
}

nlohmann::json Concatenate::get_config() const {
  nlohmann::json c = Layer::get_config();
  c["axis"] = axis_;
  return c;
}

std::shared_ptr<Concatenate> Concatenate::from_config(const nlohmann::json& c) {
  auto layer = std::make_shared<Concatenate>(int(saving::get_int(c, "axis", -1, "Concatenate config")));
  layer->load_base_config(c);
  return layer;
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Concatenate> Concatenate(int axis) { return std::make_shared<nn::Concatenate>(axis); }
}  // namespace nabla::layers
