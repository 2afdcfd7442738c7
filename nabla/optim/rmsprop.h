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
  nlohmann::json get_config() const override;
  static std::shared_ptr<RMSprop> from_config(const nlohmann::json& config);
  // Keras's names: "velocity" (v), then "momentum" (m, with momentum > 0), then "average_gradient" (a, when
  // centered), each over all parameters.
  std::vector<std::vector<std::string>> slot_groups() const override;

 protected:
  void update(Tensor& param, const Tensor& grad, Tensor* state, double lr) override;

 private:
  RMSpropOptions r_;
};

}  // namespace nabla::optim
