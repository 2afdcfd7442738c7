#include "nabla/nn/average_pooling2d.h"

namespace nabla::nn {

Tensor AveragePooling2D::pool(const Tensor& x, const Pool2DArgs& args) const { return avg_pool2d(x, args); }

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::AveragePooling2D> AveragePooling2D(nn::Size2 pool_size, std::optional<nn::Size2> strides,
    const std::string& padding) {
  return std::make_shared<nn::AveragePooling2D>(nn::Pooling2DOptions{pool_size, strides, padding, {}});
}
}  // namespace nabla::layers
