#pragma once
// Optimizer base: Keras's apply_gradients and PyTorch's step()/zero_grad() over a list of parameters.
// Handles what every optimizer shares: the learning rate (constant or a schedule), gradient clipping
// (clipvalue, clipnorm per tensor, global_clipnorm) and the iteration count. Subclasses implement update()
// for one parameter and keep their state per parameter slot.
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <typeindex>
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

  // Keras's get_config(): {name, learning_rate (a number or a serialized schedule), weight_decay, clipnorm,
  // global_clipnorm, clipvalue, use_ema, ...} plus each optimizer's own entries. Defined with the optimizer
  // registry (optim/registry.cpp), which rebuilds optimizers from these configs (optim::deserialize).
  virtual nlohmann::json get_config() const;
  // Keras's class name ("Adam", "AdamW", "SGD", "RMSprop").
  virtual std::string class_name() const { return name_; }

  // Optimizer state per parameter slot, for checkpoints and numerics checks.
  virtual std::vector<Tensor> state_tensors() const { return {}; }

 protected:
  // Updates one parameter in place, with its (clipped) gradient, at learning rate lr.
  virtual void update(size_t slot, Tensor& param, const Tensor& grad, double lr) = 0;
  int64_t iterations_ = 0;

 private:
  std::string name_;
  OptimizerOptions opts_;
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

// Keras's serialized form {"module": "keras.optimizers", "class_name": "Adam", "config": {...}, ...} and back
// (also accepts a name string). A user's optimizer registers a "package>Name" with register_optimizer<T>, T
// having static from_config(const nlohmann::json&).
nlohmann::json serialize(const Optimizer& optimizer);
OptimizerPtr deserialize(const nlohmann::json& j);
void register_optimizer_factory(const std::string& registered_name,
                                std::function<OptimizerPtr(const nlohmann::json& config)> factory,
                                std::type_index type);
template <class T>
void register_optimizer(const std::string& registered_name) {
  register_optimizer_factory(registered_name, [](const nlohmann::json& c) -> OptimizerPtr { return T::from_config(c); },
                             typeid(T));
}
// Reads the entries every optimizer shares (learning_rate or its schedule, clipping) into opts; rejects the Keras
// options nabla does not implement (use_ema, loss_scale_factor, gradient_accumulation_steps). For from_config.
void load_base_config(OptimizerOptions& opts, const nlohmann::json& config, const std::string& who);

}  // namespace nabla::optim
