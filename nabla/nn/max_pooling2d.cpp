#include "nabla/nn/max_pooling2d.h"

namespace nabla::nn {

Tensor MaxPooling2D::pool(const Tensor& x, const Pool2DArgs& args) const { return max_pool2d(x, args); }

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::MaxPooling2D> MaxPooling2D(nn::Size2 pool_size, std::optional<nn::Size2> strides,
    const std::string& padding) {
  return std::make_shared<nn::MaxPooling2D>(nn::Pooling2DOptions{pool_size, strides, padding, {}});
}
}  // namespace nabla::layers
