#pragma once
// Inverted dropout: in training, zeroes each element with probability `rate` and scales the rest by
// 1/(1-rate); the identity otherwise. The mask comes from a counter-based stream seeded by the generator.
#include "nabla/core/tensor.h"

namespace nabla {

Tensor dropout(const Tensor& x, double rate, bool training, Generator* gen = nullptr);

}  // namespace nabla
