#pragma once
// Dense: y = activation(x W + b), W of shape [in, out] as in Keras. relu is fused into the GEMM.
#include "nabla/nn/layer.h"

namespace nabla::nn {

struct DenseOptions {
  std::string activation;                         // "" = linear
  bool use_bias = true;
  Initializer kernel_initializer = "glorot_uniform";
  Initializer bias_initializer = "zeros";
  Regularizer kernel_regularizer;                 // none by default; "l2" or nn::regularizers::L2(1e-4)
  Regularizer bias_regularizer;
  std::vector<int64_t> input_shape;               // only for the first layer of a Sequential
};

class Dense : public Layer {
 public:
  Dense(int64_t units, DenseOptions opts = {});
  using Layer::call;
  Tensor call(const Tensor& x, bool training) override;
  void build(const std::vector<Shape>& in) override;
  Shape compute_output_shape(const std::vector<Shape>& in) const override;
  nlohmann::json get_config() const override;
  static std::shared_ptr<Dense> from_config(const nlohmann::json& config);
  Tensor kernel() const { return weight("kernel"); }
  Tensor bias() const { return opts_.use_bias ? weight("bias") : Tensor(); }
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
