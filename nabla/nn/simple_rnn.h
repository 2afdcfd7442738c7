#pragma once
// SimpleRNN: h_t = activation(x_t kernel + h_{t-1} recurrent_kernel + bias) (Keras's SimpleRNN; PyTorch's nn.RNN
// with the kernels transposed and its two biases summed).
// Options, masking and states: nn/recurrent_layer.h.
#include "nabla/nn/recurrent_layer.h"

namespace nabla::nn {

class SimpleRNN : public RecurrentLayer {
 public:
  explicit SimpleRNN(int64_t units, RecurrentOptions opts = {})
      : RecurrentLayer("SimpleRNN", RecurrentCell::simple_rnn, units, std::move(opts)) {}
  static std::shared_ptr<SimpleRNN> from_config(const nlohmann::json& config);
};

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::SimpleRNN> SimpleRNN(int64_t units, nn::RecurrentOptions opts = {});
}
