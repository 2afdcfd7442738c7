#pragma once
// TerminateOnNaN (Keras semantics): stops training at the first batch whose loss is NaN or Inf, and says which.
#include <iostream>

#include "nabla/train/callback.h"

namespace nabla::callbacks {

class TerminateOnNaN : public Callback {
 public:
  explicit TerminateOnNaN(std::ostream* out = &std::cout) : out_(out) {}
  void on_train_begin(Logs&) override { step_ = 0; }
  void on_epoch_begin(int epoch, Logs&) override { epoch_ = epoch; }
  void on_train_batch_end(int64_t batch, Logs& logs) override;
  int64_t terminated_batch() const { return terminated_batch_; }  // -1 when training was not stopped
  int terminated_epoch() const { return terminated_epoch_; }       // 0-based; -1 when not stopped
  int64_t terminated_step() const { return terminated_step_; }     // global step across epochs; -1 when not stopped

 private:
  std::ostream* out_;
  int64_t terminated_batch_ = -1;
  int terminated_epoch_ = -1;
  int64_t terminated_step_ = -1;
  int epoch_ = 0;
  int64_t step_ = 0;
};

}  // namespace nabla::callbacks
