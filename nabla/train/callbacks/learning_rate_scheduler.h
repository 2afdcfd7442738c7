#pragma once
// LearningRateScheduler (Keras semantics): at the start of each epoch sets the optimizer's learning rate to
// schedule(epoch, current_lr) (epoch is 0-based); logs "learning_rate" at the end of each epoch.
#include <functional>
#include <iostream>

#include "nabla/train/callback.h"

namespace nabla::callbacks {

class LearningRateScheduler : public Callback {
 public:
  using Schedule = std::function<double(int epoch, double lr)>;
  explicit LearningRateScheduler(Schedule schedule, int verbose = 0, std::ostream* out = &std::cout);
  void on_epoch_begin(int epoch, Logs&) override;
  void on_epoch_end(int epoch, Logs& logs) override;

 private:
  Schedule schedule_;
  int verbose_;
  std::ostream* out_;
};

}  // namespace nabla::callbacks
