#include "nabla/nn/add.h"

#include "nabla/ops/math.h"

namespace nabla::nn {

Shape Add::compute_output_shape(const std::vector<Shape>& in) const {
  NABLA_CHECK_SHAPE(in.size() >= 2, "layer '", name(), "' (Add) needs at least 2 inputs, got ", in.size());
  Shape out = in[0];
  for (size_t i = 1; i < in.size(); ++i) {
    bool ok = in[i].size() == out.size();
    for (int d = 1; ok && d < out.size(); ++d) ok = in[i][d] == out[d] || in[i][d] == 1 || out[d] == 1;
    NABLA_CHECK_SHAPE(ok, "layer '", name(), "' (Add) needs inputs of the same shape, got ", out.str(), " and ",
                      in[i].str());
    for (int d = 1; d < out.size(); ++d) out[d] = out[d] == 1 ? in[i][d] : out[d];
  }
  return out;
}

Tensor Add::call(const std::vector<Tensor>& xs, bool) {
  std::vector<Shape> shapes;
  for (const Tensor& x : xs) shapes.push_back(x.shape());
  compute_output_shape(shapes);  // same checks and messages as at graph-building time
  Tensor y = xs[0] + xs[1];
  for (size_t i = 2; i < xs.size(); ++i) y = y + xs[i];
  return y;
}

std::shared_ptr<Add> Add::from_config(const nlohmann::json& c) {
  auto layer = std::make_shared<Add>();
  layer->load_base_config(c);
  return layer;
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Add> Add() { return std::make_shared<nn::Add>(); }
}  // namespace nabla::layers
