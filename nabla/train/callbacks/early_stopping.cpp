#include "nabla/train/callbacks/early_stopping.h"

#include <cmath>
#include <limits>

#include "nabla/train/callbacks/monitor.h"
#include "nabla/train/model.h"

namespace nabla::callbacks {

EarlyStopping::EarlyStopping(EarlyStoppingOptions opts)
    : o_(std::move(opts)), maximize_(monitor_maximizes(o_.monitor, o_.mode, "EarlyStopping")) {
  NABLA_CHECK(o_.patience >= 0, "EarlyStopping: patience must be >= 0, got ", o_.patience);
  o_.min_delta = std::abs(o_.min_delta);
}

bool EarlyStopping::improves(double value, double reference) const {
  return maximize_ ? value - o_.min_delta > reference : value + o_.min_delta < reference;
}

void EarlyStopping::on_train_begin(Logs&) {
  wait_ = stopped_epoch_ = best_epoch_ = 0;
  best_ = maximize_ ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  best_weights_.clear();
}

void EarlyStopping::on_epoch_end(int epoch, Logs& logs) {
  auto it = logs.find(o_.monitor);
  if (it == logs.end()) {
    std::string known;
    for (const auto& [k, v] : logs) known += (known.empty() ? "" : ", ") + k;
    *o_.out << "EarlyStopping: metric '" << o_.monitor << "' is not available (available: " << known
            << "); early stopping is skipped for this epoch\n";
    return;
  }
  if (epoch < o_.start_from_epoch) return;
  double current = it->second;
  // If no epoch improves, the weights at the first monitored epoch count as the best (as Keras).
  if (o_.restore_best_weights && best_weights_.empty()) best_weights_ = model()->get_weights();
  ++wait_;
  if (improves(current, best_)) {
    best_ = current;
    best_epoch_ = epoch;
    if (o_.restore_best_weights) best_weights_ = model()->get_weights();
    if (!o_.baseline || improves(current, *o_.baseline)) wait_ = 0;
    return;
  }
  if (wait_ >= o_.patience && epoch > 0) {
    stopped_epoch_ = epoch;
    model()->stop_training = true;
    if (o_.restore_best_weights && !best_weights_.empty()) {
      if (o_.verbose > 0) *o_.out << "Restoring model weights from the end of the best epoch: " << best_epoch_ + 1 << ".\n";
      model()->set_weights(best_weights_);
    }
  }
}

void EarlyStopping::on_train_end(Logs&) {
  if (stopped_epoch_ > 0 && o_.verbose > 0) *o_.out << "Epoch " << stopped_epoch_ + 1 << ": early stopping\n";
}

}  // namespace nabla::callbacks
