#pragma once
// EarlyStopping (Keras semantics): stop when `monitor` has not improved by more than min_delta for `patience`
// epochs. With a baseline, the patience counter only resets once the value beats the baseline. With
// restore_best_weights, the weights of the best epoch are restored when training is stopped early.
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "nabla/core/tensor.h"
#include "nabla/train/callback.h"

namespace nabla::callbacks {

struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  double min_delta = 0;
  int patience = 0;
  int verbose = 0;
  std::string mode = "auto";
  std::optional<double> baseline;
  bool restore_best_weights = false;
  int start_from_epoch = 0;  // epochs before this are warm-up and never counted
  std::ostream* out = &std::cout;
};

class EarlyStopping : public Callback {
 public:
  explicit EarlyStopping(EarlyStoppingOptions opts = {});
  void on_train_begin(Logs&) override;
  void on_epoch_end(int epoch, Logs& logs) override;
  void on_train_end(Logs&) override;

  int stopped_epoch() const { return stopped_epoch_; }  // 0 when training was not stopped
  int best_epoch() const { return best_epoch_; }
  double best() const { return best_; }

 private:
  bool improves(double value, double reference) const;
  EarlyStoppingOptions o_;
  bool maximize_;
  int wait_ = 0, stopped_epoch_ = 0, best_epoch_ = 0;
  double best_ = 0;
  std::vector<Tensor> best_weights_;
};

}  // namespace nabla::callbacks
