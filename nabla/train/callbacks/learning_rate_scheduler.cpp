#include "nabla/train/callbacks/learning_rate_scheduler.h"

#include <cmath>

#include "nabla/train/model.h"

namespace nabla::callbacks {

LearningRateScheduler::LearningRateScheduler(Schedule schedule, int verbose, std::ostream* out)
    : schedule_(std::move(schedule)), verbose_(verbose), out_(out) {
  NABLA_CHECK(bool(schedule_), "LearningRateScheduler: the schedule function is empty");
}

void LearningRateScheduler::on_epoch_begin(int epoch, Logs&) {
  optim::Optimizer& opt = model()->optimizer();
  double lr = schedule_(epoch, opt.learning_rate());
  if (!std::isfinite(lr))
    throw ValueError(detail::concat("LearningRateScheduler: the schedule returned ", lr, " for epoch ", epoch));
  opt.set_learning_rate(lr);
  if (verbose_ > 0) *out_ << "\nEpoch " << epoch + 1 << ": LearningRateScheduler setting learning rate to " << lr << ".\n";
}

void LearningRateScheduler::on_epoch_end(int, Logs& logs) { logs["learning_rate"] = model()->optimizer().learning_rate(); }

}  // namespace nabla::callbacks
