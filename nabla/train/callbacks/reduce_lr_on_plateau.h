#pragma once
// ReduceLROnPlateau (Keras semantics): multiply the learning rate by `factor` when `monitor` has not improved
// by more than min_delta for `patience` epochs, then wait `cooldown` epochs before counting again; never below
// min_lr. Adds "learning_rate" to the epoch logs (so it appears in History).
#include <iostream>
#include <string>

#include "nabla/train/callback.h"

namespace nabla::callbacks {

struct ReduceLROnPlateauOptions {
  std::string monitor = "val_loss";
  double factor = 0.1;
  int patience = 10;
  int verbose = 0;
  std::string mode = "auto";
  double min_delta = 1e-4;
  int cooldown = 0;
  double min_lr = 0;
  std::ostream* out = &std::cout;
};

class ReduceLROnPlateau : public Callback {
 public:
  explicit ReduceLROnPlateau(ReduceLROnPlateauOptions opts = {});
  void on_train_begin(Logs&) override;
  void on_epoch_end(int epoch, Logs& logs) override;

 private:
  ReduceLROnPlateauOptions o_;
  bool maximize_;
  double best_ = 0;
  int wait_ = 0, cooldown_counter_ = 0;
};

}  // namespace nabla::callbacks
