#include "nabla/optim/schedules.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <numbers>

#include "nabla/nn/serialization.h"

namespace nabla::optim {

using saving::json;

namespace {
class ExponentialDecaySchedule : public Schedule {
 public:
  ExponentialDecaySchedule(double initial, int64_t decay_steps, double decay_rate, bool staircase)
      : initial_(initial), decay_steps_(decay_steps), decay_rate_(decay_rate), staircase_(staircase) {
    NABLA_CHECK_VALUE(decay_steps > 0, "ExponentialDecay: decay_steps must be positive, got ", decay_steps);
  }
  double operator()(int64_t step) const override {
    double p = double(step) / double(decay_steps_);
    if (staircase_) p = std::floor(p);
    return initial_ * std::pow(decay_rate_, p);
  }
  std::string class_name() const override { return "ExponentialDecay"; }
  json get_config() const override {
    return {{"initial_learning_rate", initial_}, {"decay_steps", decay_steps_}, {"decay_rate", decay_rate_},
            {"staircase", staircase_},           {"name", "ExponentialDecay"}};
  }

 private:
  double initial_;
  int64_t decay_steps_;
  double decay_rate_;
  bool staircase_;
};

class PiecewiseConstantSchedule : public Schedule {
 public:
  PiecewiseConstantSchedule(std::vector<int64_t> boundaries, std::vector<double> values)
      : b_(std::move(boundaries)), v_(std::move(values)) {
    NABLA_CHECK_VALUE(v_.size() == b_.size() + 1, "PiecewiseConstantDecay: ", b_.size(), " boundaries need ", b_.size() + 1,
                " values, got ", v_.size());
    for (size_t i = 1; i < b_.size(); ++i)
      NABLA_CHECK_VALUE(b_[i] > b_[i - 1], "PiecewiseConstantDecay: boundaries must increase, but ", b_[i - 1],
                  " is followed by ", b_[i]);
  }
  // The first boundary >= step selects its value; steps past every boundary take the last value.
  double operator()(int64_t step) const override {
    return v_[size_t(std::lower_bound(b_.begin(), b_.end(), step) - b_.begin())];
  }
  std::string class_name() const override { return "PiecewiseConstantDecay"; }
  json get_config() const override { return {{"boundaries", b_}, {"values", v_}, {"name", "PiecewiseConstant"}}; }

 private:
  std::vector<int64_t> b_;
  std::vector<double> v_;
};

class CosineDecaySchedule : public Schedule {
 public:
  CosineDecaySchedule(double initial, int64_t decay_steps, double alpha, std::optional<double> warmup_target,
                      int64_t warmup_steps)
      : initial_(initial), decay_steps_(decay_steps), alpha_(alpha), warmup_target_(warmup_target),
        warmup_steps_(warmup_steps) {
    NABLA_CHECK_VALUE(decay_steps > 0, "CosineDecay: decay_steps must be positive, got ", decay_steps);
    NABLA_CHECK_VALUE(!warmup_target || warmup_steps > 0, "CosineDecay: warmup_target needs warmup_steps > 0");
  }
  double operator()(int64_t step) const override {
    if (!warmup_target_) return decay(double(std::min(step, decay_steps_)), initial_);
    double s = double(std::min(step, decay_steps_ + warmup_steps_));
    if (s < double(warmup_steps_)) return (*warmup_target_ - initial_) * s / double(warmup_steps_) + initial_;
    return decay(s - double(warmup_steps_), *warmup_target_);
  }
  std::string class_name() const override { return "CosineDecay"; }
  json get_config() const override {
    return {{"initial_learning_rate", initial_},
            {"decay_steps", decay_steps_},
            {"alpha", alpha_},
            {"name", "CosineDecay"},
            {"warmup_target", warmup_target_ ? json(*warmup_target_) : json(nullptr)},
            {"warmup_steps", warmup_steps_}};
  }

 private:
  double decay(double step, double from) const {
    double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * step / double(decay_steps_)));
    return from * ((1 - alpha_) * cosine + alpha_);
  }
  double initial_;
  int64_t decay_steps_;
  double alpha_;
  std::optional<double> warmup_target_;
  int64_t warmup_steps_;
};

using ScheduleRegistry = saving::Registry<const Schedule>;
std::mutex registry_mu;
ScheduleRegistry& registry() {
  static ScheduleRegistry* r = [] {
    auto* reg = new ScheduleRegistry("learning-rate schedule");
    const std::string who = "schedule config";
    reg->add("ExponentialDecay", [who](const json& c) -> std::shared_ptr<const Schedule> {
      return std::make_shared<ExponentialDecaySchedule>(
          saving::get_double(c, "initial_learning_rate", 0, who), saving::get_int(c, "decay_steps", 0, who),
          saving::get_double(c, "decay_rate", 0, who), saving::get_bool(c, "staircase", false, who));
    });
    reg->add("PiecewiseConstantDecay", [who](const json& c) -> std::shared_ptr<const Schedule> {
      std::vector<double> values;
      if (c.contains("values") && c["values"].is_array())
        for (const json& v : c["values"]) {
          NABLA_CHECK_VALUE(v.is_number(), who, ": values must be numbers, got ", c["values"].dump());
          values.push_back(v.get<double>());
        }
      return std::make_shared<PiecewiseConstantSchedule>(saving::get_ints(c, "boundaries", {}, who), values);
    });
    reg->add("CosineDecay", [who](const json& c) -> std::shared_ptr<const Schedule> {
      return std::make_shared<CosineDecaySchedule>(
          saving::get_double(c, "initial_learning_rate", 0, who), saving::get_int(c, "decay_steps", 0, who),
          saving::get_double(c, "alpha", 0, who), saving::get_optional_double(c, "warmup_target", who),
          saving::get_int(c, "warmup_steps", 0, who));
    });
    return reg;
  }();
  return *r;
}
}  // namespace

LearningRateSchedule make_schedule(std::shared_ptr<const Schedule> schedule) {
  NABLA_CHECK_VALUE(schedule != nullptr, "make_schedule: null schedule");
  return ScheduleFn{std::move(schedule)};
}

LearningRateSchedule ExponentialDecay(double initial, int64_t decay_steps, double decay_rate, bool staircase) {
  return make_schedule(std::make_shared<ExponentialDecaySchedule>(initial, decay_steps, decay_rate, staircase));
}

LearningRateSchedule PiecewiseConstantDecay(std::vector<int64_t> boundaries, std::vector<double> values) {
  return make_schedule(std::make_shared<PiecewiseConstantSchedule>(std::move(boundaries), std::move(values)));
}

LearningRateSchedule StepDecay(double initial, int64_t step_size, double drop) {
  return ExponentialDecay(initial, step_size, drop, true);
}

LearningRateSchedule CosineDecay(double initial, int64_t decay_steps, double alpha, std::optional<double> warmup_target,
                                 int64_t warmup_steps) {
  return make_schedule(
      std::make_shared<CosineDecaySchedule>(initial, decay_steps, alpha, warmup_target, warmup_steps));
}

void register_schedule_factory(const std::string& registered_name,
                               std::function<std::shared_ptr<const Schedule>(const json&)> factory,
                               std::type_index type) {
  std::lock_guard<std::mutex> lock(registry_mu);
  registry().add(registered_name, std::move(factory), type);
}

json serialize_schedule(const LearningRateSchedule& schedule) {
  const ScheduleFn* fn = schedule.target<ScheduleFn>();
  NABLA_CHECK_VALUE(fn != nullptr, "cannot serialize a learning-rate schedule that is a plain function; make it an "
              "optim::Schedule (make_schedule) to describe it");
  const Schedule& s = *fn->schedule;
  std::string reg;
  {
    std::lock_guard<std::mutex> lock(registry_mu);
    reg = registry().registered_name(typeid(s));
  }
  if (!reg.empty()) return saving::serialize_object("", saving::class_name_of_registered(reg), s.get_config(), reg);
  return saving::serialize_object("keras.optimizers.schedules", s.class_name(), s.get_config());
}

LearningRateSchedule deserialize_schedule(const json& j) {
  saving::ObjectSpec spec = saving::parse_object(j, "a learning-rate schedule");
  std::lock_guard<std::mutex> lock(registry_mu);
  return make_schedule(registry().create(spec));
}

}  // namespace nabla::optim
