#pragma once
// GradNormLogger: writes per-layer gradient norms (and weight norms) to a CSV every N training steps, one row
// per step: "epoch,step,<layer>/grad_norm,...,<layer>/weight_norm,...". Plot it to see which layer's gradients
// explode or vanish over training.
#include <fstream>
#include <string>
#include <vector>

#include "nabla/train/callback.h"

namespace nabla::debug {

class GradNormLogger : public callbacks::Callback {
 public:
  explicit GradNormLogger(std::string path, int64_t every = 1) : path_(std::move(path)), every_(every) {}
  void on_train_begin(callbacks::Logs&) override;
  void on_epoch_begin(int epoch, callbacks::Logs&) override { epoch_ = epoch; }
  void on_train_batch_end(int64_t batch, callbacks::Logs&) override;
  void on_train_end(callbacks::Logs&) override { file_.close(); }

 private:
  std::string path_;
  int64_t every_;
  int epoch_ = 0;
  int64_t step_ = 0;
  std::ofstream file_;
};

}  // namespace nabla::debug
