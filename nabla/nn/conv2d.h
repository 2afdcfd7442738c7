#pragma once
// Conv2D: y = activation(conv(x, kernel) + bias) over NHWC inputs, kernel HWIO [kh, kw, in, filters] as in
// Keras. relu is fused into the convolution primitive.
#include <optional>

#include "nabla/nn/layer.h"
#include "nabla/nn/max_pooling2d.h"
#include "nabla/nn/size2.h"
#include "nabla/ops/conv.h"

namespace nabla::nn {

struct Conv2DOptions {
  Size2 strides = 1;
  std::string padding = "valid";                  // or "same"
  Size2 dilation_rate = 1;
  std::string activation;                         // "" = linear
  bool use_bias = true;
  Initializer kernel_initializer = "glorot_uniform";
  Initializer bias_initializer = "zeros";
  Regularizer kernel_regularizer;                 // none by default
  Regularizer bias_regularizer;
  std::vector<int64_t> input_shape;               // (h, w, c); only for the first layer of a Sequential
};

class Conv2D : public Layer {
 public:
  Conv2D(int64_t filters, Size2 kernel_size, Conv2DOptions opts = {});
  using Layer::call;
  Tensor call(const Tensor& x, bool training) override;
  void build(const std::vector<Shape>& in) override;
  Shape compute_output_shape(const std::vector<Shape>& in) const override;
  nlohmann::json get_config() const override;
  static std::shared_ptr<Conv2D> from_config(const nlohmann::json& config);
  Tensor kernel() const { return weight("kernel"); }
  Tensor bias() const { return opts_.use_bias ? weight("bias") : Tensor(); }
  int64_t filters() const { return filters_; }
  // This layer then `pool` on x as one op where conv2d_relu_max_pool2d takes them (ops/conv_max_pool.h: relu
  // fused, a 2x2 pool, few input channels, AVX2 or better, no op observer): Sequential's path for Conv2D(relu) ->
  // MaxPooling2D(2). Builds both layers as calling them would; nullopt where the op does not apply.
  std::optional<Tensor> call_with_max_pool(const Tensor& x, MaxPooling2D& pool);

 private:
  std::string who() const;
  int64_t filters_;
  Size2 kernel_size_;
  Conv2DOptions opts_;
  Conv2DArgs args_;  // strides, padding (parsed once, here), dilation and the fused activation
};

}  // namespace nabla::nn

namespace nabla::layers {
// layers::Conv2D(32, 3, "relu", {.input_shape = {28, 28, 1}}) is Keras's
// layers.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)).
std::shared_ptr<nn::Conv2D> Conv2D(int64_t filters, nn::Size2 kernel_size, const std::string& activation = "",
                                   nn::Conv2DOptions opts = {});
}
