#pragma once
// LSTM (Keras's LSTM): gates i, f, c, o in Keras's order (PyTorch's i, f, g, o: the same with its kernels
// transposed and its two biases summed); unit_forget_bias starts the forget gate's bias at 1.
// Options, masking and states: nn/recurrent_layer.h.
#include "nabla/nn/recurrent_layer.h"

namespace nabla::nn {

class LSTM : public RecurrentLayer {
 public:
  explicit LSTM(int64_t units, RecurrentOptions opts = {})
      : RecurrentLayer("LSTM", RecurrentCell::lstm, units, std::move(opts)) {}
  static std::shared_ptr<LSTM> from_config(const nlohmann::json& config);
};

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::LSTM> LSTM(int64_t units, nn::RecurrentOptions opts = {});
}
