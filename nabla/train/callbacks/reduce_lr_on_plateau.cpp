#include "nabla/train/callbacks/reduce_lr_on_plateau.h"

#include <algorithm>
#include <limits>

#include "nabla/train/callbacks/monitor.h"
#include "nabla/train/model.h"

namespace nabla::callbacks {

ReduceLROnPlateau::ReduceLROnPlateau(ReduceLROnPlateauOptions opts)
    : o_(std::move(opts)), maximize_(monitor_maximizes(o_.monitor, o_.mode, "ReduceLROnPlateau")) {
  NABLA_CHECK(o_.factor < 1.0 && o_.factor >= 0, "ReduceLROnPlateau: factor must be in [0, 1), got ", o_.factor);
}

void ReduceLROnPlateau::on_train_begin(Logs&) {
  best_ = maximize_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  wait_ = cooldown_counter_ = 0;
}

void ReduceLROnPlateau::on_epoch_end(int epoch, Logs& logs) {
  optim::Optimizer& opt = model()->optimizer();
  logs["learning_rate"] = opt.learning_rate();
  auto it = logs.find(o_.monitor);
  if (it == logs.end()) {
    *o_.out << "ReduceLROnPlateau: metric '" << o_.monitor << "' is not available; skipping\n";
    return;
  }
  double current = it->second;
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    wait_ = 0;
  }
  bool better = maximize_ ? current > best_ + o_.min_delta : current < best_ - o_.min_delta;
  if (better) {
    best_ = current;
    wait_ = 0;
  } else if (cooldown_counter_ == 0) {
    if (++wait_ >= o_.patience) {
      double old_lr = opt.learning_rate();
      if (old_lr > o_.min_lr) {
        double new_lr = std::max(old_lr * o_.factor, o_.min_lr);
        opt.set_learning_rate(new_lr);
        if (o_.verbose > 0)
          *o_.out << "\nEpoch " << epoch + 1 << ": ReduceLROnPlateau reducing learning rate to " << new_lr << ".\n";
        cooldown_counter_ = o_.cooldown;
        wait_ = 0;
      }
    }
  }
}

}  // namespace nabla::callbacks
