#pragma once
// Optimizer base: Keras's apply_gradients and PyTorch's step()/zero_grad() over a list of parameters.
// Handles what every optimizer shares: the learning rate (constant or a schedule), gradient clipping
// (clipvalue, clipnorm per tensor, global_clipnorm) and the iteration count. Subclasses implement update()
// for one parameter and keep their state per parameter slot.
#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nabla/core/tensor.h"

namespace nabla::optim {

// learning rate as a function of the iteration count (0-based step).
using LearningRateSchedule = std::function<double(int64_t step)>;

struct OptimizerOptions {
  double learning_rate = 0.001;
  LearningRateSchedule schedule;           // overrides learning_rate when set
  std::optional<double> clipnorm;          // clip each gradient's L2 norm
  std::optional<double> clipvalue;         // clip each gradient element to [-v, v]
  std::optional<double> global_clipnorm;   // clip the joint L2 norm of all gradients
  // Keras 3's decoupled weight decay, on every optimizer: before each update, p -= lr * weight_decay * p for
  // every parameter that has a gradient and is not excluded (exclude_from_weight_decay). 0 = none.
  double weight_decay = 0;
};

class Optimizer {
 public:
  explicit Optimizer(std::string name, OptimizerOptions opts) : name_(std::move(name)), opts_(std::move(opts)) {}
  virtual ~Optimizer() = default;

  // Applies the gradients in params[i].grad() (parameters with no gradient are skipped). The parameter list
  // must be the same, in the same order, on every call (state is kept per position).
  void step(const std::vector<Tensor>& params);
  // Applies explicit gradients (Keras's apply_gradients).
  void apply_gradients(const std::vector<Tensor>& grads, const std::vector<Tensor>& params);
  static void zero_grad(const std::vector<Tensor>& params);

  double learning_rate() const;           // the rate the next step will use
  void set_learning_rate(double lr);      // replaces any schedule with a constant (ReduceLROnPlateau)
  int64_t iterations() const { return iterations_; }
  void set_iterations(int64_t n) { iterations_ = n; }  // restoring a checkpoint or replaying a dumped step
  const std::string& name() const { return name_; }
  OptimizerOptions& options() { return opts_; }
  // Keras's exclude_from_weight_decay(var_list): these parameters are never decayed (e.g. biases, norms).
  void exclude_from_weight_decay(const std::vector<Tensor>& var_list);

  // Optimizer state per parameter slot, for checkpoints and numerics checks.
  virtual std::vector<Tensor> state_tensors() const { return {}; }

 protected:
  // Updates one parameter in place, with its (clipped) gradient, at learning rate lr.
  virtual void update(size_t slot, Tensor& param, const Tensor& grad, double lr) = 0;
  int64_t iterations_ = 0;

 private:
  std::string name_;
  OptimizerOptions opts_;
  void apply_weight_decay(Tensor& param, double lr) const;
  std::vector<const void*> no_decay_;  // tensors excluded from weight decay, by storage identity
};

using OptimizerPtr = std::shared_ptr<Optimizer>;

// Observer hook, installed by debug/ (numerics checking): called after every step with the updated parameters,
// so NaNs created inside an update (Adam's m/v) are caught at the step that made them. nullptr removes.
struct StepObserver {
  virtual ~StepObserver() = default;
  virtual void on_step(const Optimizer& opt, const std::vector<Tensor>& params) = 0;
};
void set_step_observer(StepObserver* obs);
StepObserver* step_observer();

// By Keras name with default settings: "adam", "sgd", "rmsprop", "adamw" (optim/registry.cpp).
OptimizerPtr get(const std::string& name);

}  // namespace nabla::optim
