#pragma once
// GRU (Keras 3's GRU, reset_after=True, which is PyTorch's GRU): gates z, r, h in Keras's order (PyTorch's r,
// z, n); bias [2, 3 units] holds the input and the recurrent bias, as PyTorch's b_ih and b_hh.
// Options, masking and states: nn/recurrent_layer.h.
#include "nabla/nn/recurrent_layer.h"

namespace nabla::nn {

class GRU : public RecurrentLayer {
 public:
  explicit GRU(int64_t units, RecurrentOptions opts = {})
      : RecurrentLayer("GRU", RecurrentCell::gru, units, std::move(opts)) {}
  static std::shared_ptr<GRU> from_config(const nlohmann::json& config);
};

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::GRU> GRU(int64_t units, nn::RecurrentOptions opts = {});
}
