#include "nabla/train/callbacks/terminate_on_nan.h"

#include <cmath>

#include "nabla/train/model.h"

namespace nabla::callbacks {

void TerminateOnNaN::on_train_batch_end(int64_t batch, Logs& logs) {
  auto it = logs.find("loss");
  if (it == logs.end() || std::isfinite(it->second)) return;
  terminated_batch_ = batch;
  *out_ << "Batch " << batch << ": Invalid loss (" << it->second << "), terminating training\n";
  model()->stop_training = true;
}

}  // namespace nabla::callbacks
