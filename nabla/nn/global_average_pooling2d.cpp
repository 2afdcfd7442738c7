#include "nabla/nn/global_average_pooling2d.h"

#include "nabla/ops/pooling.h"

namespace nabla::nn {

GlobalAveragePooling2D::GlobalAveragePooling2D(std::vector<int64_t> input_shape) : Layer("GlobalAveragePooling2D") {
  declared_input_shape_ = std::move(input_shape);
}

Shape GlobalAveragePooling2D::compute_output_shape(const std::vector<Shape>& in) const {
  NABLA_CHECK_SHAPE(in.size() == 1 && in[0].size() == 4, "layer '", name(),
                    "' (GlobalAveragePooling2D) expects an input of rank 4 (batch, height, width, channels), got ",
                    in.empty() ? std::string("nothing") : in[0].str());
  return Shape{in[0][0], in[0][3]};
}

Tensor GlobalAveragePooling2D::call(const Tensor& x, bool) {
  Shape s = x.shape();
  if (s.size()) s[0] = -1;
  compute_output_shape({s});  // errors name this layer
  return global_avg_pool2d(x);
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::GlobalAveragePooling2D> GlobalAveragePooling2D(std::vector<int64_t> input_shape) {
  return std::make_shared<nn::GlobalAveragePooling2D>(std::move(input_shape));
}
}  // namespace nabla::layers
