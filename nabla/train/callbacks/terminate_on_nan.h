#pragma once
// TerminateOnNaN (Keras semantics): stops training at the first batch whose loss is NaN or Inf, and says which.
#include <iostream>

#include "nabla/train/callback.h"

namespace nabla::callbacks {

class TerminateOnNaN : public Callback {
 public:
  explicit TerminateOnNaN(std::ostream* out = &std::cout) : out_(out) {}
  void on_train_batch_end(int64_t batch, Logs& logs) override;
  int64_t terminated_batch() const { return terminated_batch_; }  // -1 when training was not stopped

 private:
  std::ostream* out_;
  int64_t terminated_batch_ = -1;
};

}  // namespace nabla::callbacks
