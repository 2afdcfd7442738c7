#pragma once
// Dense: y = activation(x W + b), W of shape [in, out] as in Keras. relu is fused into the GEMM.
#include "nabla/nn/layer.h"

namespace nabla::nn {

struct DenseOptions {
  std::string activation;                         // "" = linear
  bool use_bias = true;
  std::string kernel_initializer = "glorot_uniform";
  std::string bias_initializer = "zeros";
  std::vector<int64_t> input_shape;               // only for the first layer of a Sequential
};

class Dense : public Layer {
 public:
  Dense(int64_t units, DenseOptions opts = {});
  using Layer::call;
  Tensor call(const Tensor& x, bool training) override;
  void build(const std::vector<Shape>& in) override;
  Shape compute_output_shape(const std::vector<Shape>& in) const override;
  std::string config_str() const override;
  const Tensor& kernel() const { return weights()[0].value; }
  Tensor bias() const { return opts_.use_bias ? weights()[1].value : Tensor(); }
  int64_t units() const { return units_; }
  const std::string& activation() const { return opts_.activation; }

 private:
  int64_t units_;
  DenseOptions opts_;
};

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Dense> Dense(int64_t units, const std::string& activation = "", nn::DenseOptions opts = {});
}
