#pragma once
// Learning-rate schedules (Keras's keras.optimizers.schedules), as functions of the 0-based optimizer step.
// Pass one as OptimizerOptions::schedule; Optimizer::learning_rate() evaluates it at iterations().
//
// Each schedule is a Schedule object that describes itself (class_name + get_config, as Keras's
// LearningRateSchedule); the functions below wrap it in a LearningRateSchedule (a std::function) that
// serialize_schedule can unwrap again, so an optimizer's config carries its schedule. A plain lambda works as a
// schedule too but cannot be serialized.
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <typeindex>
#include <vector>

#include "nabla/optim/optimizer.h"

namespace nabla::optim {

class Schedule {
 public:
  virtual ~Schedule() = default;
  virtual double operator()(int64_t step) const = 0;
  virtual std::string class_name() const = 0;
  virtual nlohmann::json get_config() const = 0;
};

// What a LearningRateSchedule holds when it wraps a Schedule (found again with std::function::target).
struct ScheduleFn {
  std::shared_ptr<const Schedule> schedule;
  double operator()(int64_t step) const { return (*schedule)(step); }
};
LearningRateSchedule make_schedule(std::shared_ptr<const Schedule> schedule);

// initial * decay_rate ^ (step / decay_steps); the exponent is floored when staircase.
LearningRateSchedule ExponentialDecay(double initial_learning_rate, int64_t decay_steps, double decay_rate,
                                      bool staircase = false);

// values[0] while step <= boundaries[0], values[i] while boundaries[i-1] < step <= boundaries[i], and
// values.back() after the last boundary (Keras's PiecewiseConstantDecay). Boundaries must increase.
LearningRateSchedule PiecewiseConstantDecay(std::vector<int64_t> boundaries, std::vector<double> values);

// Classic step decay: initial * drop ^ floor(step / step_size) (ExponentialDecay with staircase).
LearningRateSchedule StepDecay(double initial_learning_rate, int64_t step_size, double drop);

// Keras's CosineDecay. Without warmup: decays from initial to initial * alpha over decay_steps along half a
// cosine, then stays there. With warmup_target: rises linearly from initial to warmup_target over warmup_steps,
// then decays from warmup_target to warmup_target * alpha over decay_steps.
LearningRateSchedule CosineDecay(double initial_learning_rate, int64_t decay_steps, double alpha = 0,
                                 std::optional<double> warmup_target = std::nullopt, int64_t warmup_steps = 0);

// {"module": "keras.optimizers.schedules", "class_name", "config", "registered_name"} and back. Serializing a
// schedule that is not a Schedule (a lambda) throws.
nlohmann::json serialize_schedule(const LearningRateSchedule& schedule);
LearningRateSchedule deserialize_schedule(const nlohmann::json& j);
void register_schedule_factory(const std::string& registered_name,
                               std::function<std::shared_ptr<const Schedule>(const nlohmann::json&)> factory,
                               std::type_index type);
template <class T>
void register_schedule(const std::string& registered_name) {
  register_schedule_factory(registered_name, [](const nlohmann::json& c) { return T::from_config(c); }, typeid(T));
}

}  // namespace nabla::optim
