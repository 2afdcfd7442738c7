#pragma once
// Learning-rate schedules (Keras's keras.optimizers.schedules), as functions of the 0-based optimizer step.
// Pass one as OptimizerOptions::schedule; Optimizer::learning_rate() evaluates it at iterations().
#include <optional>
#include <vector>

#include "nabla/optim/optimizer.h"

namespace nabla::optim {

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

}  // namespace nabla::optim
