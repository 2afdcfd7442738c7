#include "nabla/nn/dropout.h"

#include "nabla/ops/dropout.h"

namespace nabla::nn {

Dropout::Dropout(double rate, std::optional<uint64_t> seed) : Layer("Dropout"), rate_(rate) {
  NABLA_CHECK(rate >= 0 && rate < 1, "Dropout: rate must be in [0, 1), got ", rate);
  if (seed) gen_.emplace(*seed);
}

Tensor Dropout::call(const Tensor& x, bool training) {
  return dropout(x, rate_, training, gen_ ? &*gen_ : nullptr);
}

}  // namespace nabla::nn

namespace nabla::layers {
std::shared_ptr<nn::Dropout> Dropout(double rate, std::optional<uint64_t> seed) {
  return std::make_shared<nn::Dropout>(rate, seed);
}
}  // namespace nabla::layers
