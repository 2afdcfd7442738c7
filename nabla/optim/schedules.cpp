#include "nabla/optim/schedules.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace nabla::optim {

LearningRateSchedule ExponentialDecay(double initial, int64_t decay_steps, double decay_rate, bool staircase) {
  if (!(decay_steps > 0))
    throw ValueError(detail::concat("ExponentialDecay: decay_steps must be positive, got ", decay_steps));
  return [=](int64_t step) {
    double p = double(step) / double(decay_steps);
    if (staircase) p = std::floor(p);
    return initial * std::pow(decay_rate, p);
  };
}

LearningRateSchedule PiecewiseConstantDecay(std::vector<int64_t> boundaries, std::vector<double> values) {
  if (!(values.size() == boundaries.size() + 1))
    throw ValueError(detail::concat("PiecewiseConstantDecay: ", boundaries.size(), " boundaries need ",
                                    boundaries.size() + 1, " values, got ", values.size()));
  for (size_t i = 1; i < boundaries.size(); ++i)
    if (!(boundaries[i] > boundaries[i - 1]))
      throw ValueError(detail::concat("PiecewiseConstantDecay: boundaries must increase, but ", boundaries[i - 1],
                                      " is followed by ", boundaries[i]));
  return [b = std::move(boundaries), v = std::move(values)](int64_t step) {
    // The first boundary >= step selects its value; steps past every boundary take the last value.
    return v[size_t(std::lower_bound(b.begin(), b.end(), step) - b.begin())];
  };
}

LearningRateSchedule StepDecay(double initial, int64_t step_size, double drop) {
  return ExponentialDecay(initial, step_size, drop, true);
}

LearningRateSchedule CosineDecay(double initial, int64_t decay_steps, double alpha, std::optional<double> warmup_target,
                                 int64_t warmup_steps) {
  if (!(decay_steps > 0))
    throw ValueError(detail::concat("CosineDecay: decay_steps must be positive, got ", decay_steps));
  if (warmup_target && warmup_steps <= 0)
    throw ValueError(detail::concat("CosineDecay: warmup_target needs warmup_steps > 0"));
  auto decay = [=](double step, double from) {
    double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * step / double(decay_steps)));
    return from * ((1 - alpha) * cosine + alpha);
  };
  return [=](int64_t step) {
    if (!warmup_target) return decay(double(std::min(step, decay_steps)), initial);
    double s = double(std::min(step, decay_steps + warmup_steps));
    if (s < double(warmup_steps)) return (*warmup_target - initial) * s / double(warmup_steps) + initial;
    return decay(s - double(warmup_steps), *warmup_target);
  };
}

}  // namespace nabla::optim
