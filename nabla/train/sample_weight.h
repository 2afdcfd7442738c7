#pragma once
// Sample weights broadcast to loss or metric values by Keras 3's rules (keras/src/losses/loss.py): ranks that
// differ by one with a trailing axis of 1 are squeezed/expanded to the same rank (squeeze_or_expand_to_same_rank),
// then the two broadcast. One extension: weights whose shape is a leading prefix of the values' shape (per sample
// [N] for values [N, T]) are spread over the trailing axes, as tf.keras 2 did, instead of failing.
#include <string>

#include "nabla/core/tensor.h"

namespace nabla {

// Keras's squeeze_or_expand_to_same_rank: when the ranks differ by one and the longer has a trailing 1, that axis
// is squeezed — or, when the other is rank 1 (and expand_rank_1), the other gains a trailing 1.
void squeeze_or_expand_to_same_rank(Tensor& x1, Tensor& x2, bool expand_rank_1 = true);

// values and weights after Keras's squeeze_or_expand_to_same_rank (either may lose or gain a trailing 1).
struct WeightedValues {
  Tensor values;
  Tensor weights;  // broadcast to values' shape, values' dtype, detached
};

// Throws ShapeError naming `who` and both shapes when the weights cannot be broadcast to the values. Weights with
// as many elements as the values but another shape (a flattened per-element weight) are reshaped.
WeightedValues broadcast_sample_weight(const Tensor& values, const Tensor& sample_weight, const std::string& who);

}  // namespace nabla
