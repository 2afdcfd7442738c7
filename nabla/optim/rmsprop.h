#pragma once
// RMSprop with Keras's formulation and defaults (lr 1e-3, rho 0.9, momentum 0, epsilon 1e-7, centered false):
//   v = rho v + (1-rho) g^2
//   centered: a = rho a + (1-rho) g;  denom = v - a^2 + eps      otherwise denom = v + eps
//   inc = lr g / sqrt(denom);  momentum > 0: m = momentum m + inc; p -= m   otherwise p -= inc
// Note epsilon sits inside the square root, as in Keras (PyTorch adds it outside).
#include "nabla/optim/optimizer.h"

namespace nabla::optim {

struct RMSpropOptions : OptimizerOptions {
  double rho = 0.9;
  double momentum = 0;
  double epsilon = 1e-7;
  bool centered = false;
};

class RMSprop : public Optimizer {
 public:
  explicit RMSprop(RMSpropOptions opts = {});
  explicit RMSprop(double learning_rate);
  std::vector<Tensor> state_tensors() const override;
  nlohmann::json get_config() const override;
  static std::shared_ptr<RMSprop> from_config(const nlohmann::json& config);

 protected:
  void update(size_t slot, Tensor& param, const Tensor& grad, double lr) override;

 private:
  RMSpropOptions r_;
  std::vector<Tensor> velocity_, average_grad_, momentum_;
};

}  // namespace nabla::optim
