#pragma once
// embedding: rows of a [vocab, dim] table gathered by integer indices of any shape -> indices.shape + [dim].
// Backward scatter-adds into the table's gradient (repeated indices accumulate).
#include "nabla/core/tensor.h"

namespace nabla {

// indices: an integer tensor, or a floating one holding whole numbers (Keras casts its inputs to int). An index
// outside [0, vocab) throws, naming its position and value.
Tensor embedding(const Tensor& table, const Tensor& indices);

}  // namespace nabla
