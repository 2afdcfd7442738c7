#pragma once
// SGD with Keras's semantics (lr 0.01): velocity = momentum * velocity - lr * g; p += velocity, or with
// nesterov p += momentum * velocity - lr * g.
#include "nabla/optim/optimizer.h"

namespace nabla::optim {

struct SGDOptions : OptimizerOptions {
  SGDOptions() { learning_rate = 0.01; }
  double momentum = 0;
  bool nesterov = false;
};

class SGD : public Optimizer {
 public:
  explicit SGD(SGDOptions opts = {});
  explicit SGD(double learning_rate, double momentum = 0, bool nesterov = false);
  nlohmann::json get_config() const override;
  static std::shared_ptr<SGD> from_config(const nlohmann::json& config);
  // Keras's name: "momentum" per parameter (the velocity above), only when momentum > 0.
  std::vector<std::vector<std::string>> slot_groups() const override;

 protected:
  void update(Tensor& param, const Tensor& grad, Tensor* state, double lr) override;

 private:
  SGDOptions s_;
};

}  // namespace nabla::optim
