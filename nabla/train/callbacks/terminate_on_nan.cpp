#include "nabla/train/callbacks/terminate_on_nan.h"

#include <cmath>

#include "nabla/train/model.h"

namespace nabla::callbacks {

void TerminateOnNaN::on_train_batch_end(int64_t batch, Logs& logs) {
  int64_t step = step_++;
  auto it = logs.find("loss");
  if (it == logs.end() || std::isfinite(it->second)) return;
  terminated_batch_ = batch;
  terminated_epoch_ = epoch_;
  terminated_step_ = step;
  *out_ << "Batch " << batch << ": Invalid loss (" << it->second << "), terminating training (epoch " << epoch_ + 1
        << ", batch " << batch << ", global step " << step
        << "); to find the op that produced it, rerun with debug::enable_check_numerics()\n";
  model()->stop_training = true;
}

}  // namespace nabla::callbacks
