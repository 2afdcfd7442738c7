#pragma once
// Optimizer base: Keras's apply_gradients and PyTorch's step()/zero_grad() over a list of parameters.
// Handles what every optimizer shares: the learning rate (constant or a schedule), gradient clipping
// (clipvalue, clipnorm per tensor, global_clipnorm), the iteration count, and the state each parameter carries
// (Adam's momentum and velocity, ...). That state belongs to the parameter itself, not to a position in a list,
// so the list may change between steps (a layer frozen, unfrozen or added) without moving state between
// parameters.
#include <algorithm>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <typeindex>
#include <unordered_map>
#include <utility>
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

  // Applies the gradients in params[i].grad() (parameters with no gradient are skipped). Any list of
  // parameters, in any order, which may change from one call to the next.
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

  // Keras's get_config(): {name, learning_rate (a number or a serialized schedule), weight_decay, clipnorm,
  // global_clipnorm, clipvalue, use_ema, ...} plus each optimizer's own entries. Defined with the optimizer
  // registry (optim/registry.cpp), which rebuilds optimizers from these configs (optim::deserialize).
  virtual nlohmann::json get_config() const;
  // Keras's class name ("Adam", "AdamW", "SGD", "RMSprop").
  virtual std::string class_name() const { return name_; }

  // ---- state, by Keras's names ----
  // The state variables each parameter carries, grouped as Keras creates them: the names of one group are
  // created together per parameter (interleaved), and groups follow one another over all parameters. Adam:
  // {{"momentum", "velocity"}} (+ {{"velocity_hat"}} with amsgrad); SGD with momentum: {{"momentum"}};
  // RMSprop: {{"velocity"}} (+ {{"momentum"}} with momentum, {{"average_gradient"}} when centered).
  virtual std::vector<std::vector<std::string>> slot_groups() const { return {}; }
  std::vector<std::string> slot_names() const;  // slot_groups() flattened: the order of variables_for()
  // Creates zero state for each parameter that has none yet (Keras's build); a step does this lazily.
  void build(const std::vector<Tensor>& params);
  // The state of one parameter, as (name, tensor) in slot_names() order; empty if it has none yet (neither
  // updated nor built). The tensors are the optimizer's own: copy_ into them to restore saved state.
  std::vector<std::pair<std::string, Tensor>> variables_for(const Tensor& param) const;
  // Every variable in the order of Keras 3's optimizer.variables, which model files save as
  // optimizer/vars/<i>: "iteration" (int64 scalar), "learning_rate" (float32 scalar; absent with a schedule),
  // then each group of slot_groups() over params (pass the trainable weights in model order). Builds missing
  // state first. Slot entries are the optimizer's own tensors; the two scalars are copies.
  std::vector<std::pair<std::string, Tensor>> variables(const std::vector<Tensor>& params);
  // Restores what variables(params) lists, in that order (checks count and shapes).
  void set_variables(const std::vector<Tensor>& params, const std::vector<Tensor>& values);
  // Every state tensor (each slot group over the parameters in the order they first got state), for
  // numerics checks and debug dumps: copy_ into them to restore; the order is stable while no parameter is
  // added.
  std::vector<Tensor> state_tensors() const;

 protected:
  // Updates one parameter in place, with its (clipped, contiguous) gradient, at learning rate lr. state holds
  // the parameter's slots in slot_names() order (zeros at first).
  virtual void update(Tensor& param, const Tensor& grad, Tensor* state, double lr) = 0;
  int64_t iterations_ = 0;

 private:
  // The state of one parameter. The parameter is held weakly: the optimizer does not keep a removed layer's
  // weights alive, and an address reused by a new tensor after the old one died is recognised (the weak
  // pointer has expired) instead of inheriting the dead parameter's state.
  struct ParamState {
    std::weak_ptr<TensorImpl> param;
    std::vector<Tensor> slots;
  };
  ParamState& state_of(const Tensor& param);
  const ParamState* find_state(const Tensor& param) const;
  std::string name_;
  OptimizerOptions opts_;
  std::vector<ParamState> states_;                         // in the order parameters first got state
  std::unordered_map<const TensorImpl*, size_t> index_;    // parameter -> position in states_
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
