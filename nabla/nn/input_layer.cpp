#include "nabla/nn/input_layer.h"

namespace nabla::nn {

InputLayer::InputLayer(std::vector<int64_t> shape) : Layer("InputLayer"), shape_(std::move(shape)) {
  for (int64_t d : shape_) NABLA_CHECK_SHAPE(d > 0 || d == -1, "Input: dimensions must be positive or -1, got ", d);
  declared_input_shape_ = shape_;
}

Shape InputLayer::shape() const {
  Shape s{-1};
  for (int64_t d : shape_) s.push_back(d);
  return s;
}

Shape InputLayer::compute_output_shape(const std::vector<Shape>&) const { return shape(); }

}  // namespace nabla::nn
