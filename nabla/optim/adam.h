#pragma once
// Adam with Keras's formulation and defaults (lr 1e-3, beta_1 0.9, beta_2 0.999, epsilon 1e-7):
//   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  p -= lr sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + eps)
// AdamW is Adam with the base optimizer's decoupled weight decay (OptimizerOptions::weight_decay, default 0.004
// for AdamW): p -= lr * weight_decay * p before the Adam step, as in Keras 3.
// amsgrad keeps the running max of v.
#include "nabla/optim/optimizer.h"

namespace nabla::optim {

struct AdamOptions : OptimizerOptions {
  double beta_1 = 0.9;
  double beta_2 = 0.999;
  double epsilon = 1e-7;
  bool amsgrad = false;
};

class Adam : public Optimizer {
 public:
  explicit Adam(AdamOptions opts = {}, std::string name = "Adam");
  explicit Adam(double learning_rate) : Adam(with_lr(learning_rate)) {}
  nlohmann::json get_config() const override;
  // class_name "AdamW" rebuilds Keras's AdamW (Adam with decoupled weight decay).
  static std::shared_ptr<Adam> from_config(const nlohmann::json& config, const std::string& class_name = "Adam");
  // Keras's names: "momentum" (m) and "velocity" (v) per parameter, then "velocity_hat" (amsgrad's max of v).
  std::vector<std::vector<std::string>> slot_groups() const override;

 protected:
  void update(Tensor& param, const Tensor& grad, Tensor* state, double lr) override;

 private:
  static AdamOptions with_lr(double lr) {
    AdamOptions o;
    o.learning_rate = lr;
    return o;
  }
  AdamOptions a_;
};

// AdamW: Adam with decoupled weight decay (Keras default weight_decay 0.004).
std::shared_ptr<Adam> AdamW(AdamOptions opts = [] {
  AdamOptions o;
  o.weight_decay = 0.004;
  return o;
}());

}  // namespace nabla::optim
