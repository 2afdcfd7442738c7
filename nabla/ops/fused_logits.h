#pragma once
// The logits behind a softmax or sigmoid output, so that a crossentropy given probabilities can take the stable
// fused path on the logits instead (what Keras does with the `_keras_logits` attribute it sets on the output).
// The link lives in a side table owned by ops/, keyed weakly by the output tensor: it lasts as long as the
// output does and costs core's TensorImpl nothing. Views and copies of the output are not linked.
#include <cstdint>

#include "nabla/core/tensor.h"

namespace nabla {

enum class LogitsOf : uint8_t { softmax, sigmoid };

// Records out = softmax(logits) or sigmoid(logits). Called by those ops.
void remember_logits(const Tensor& out, const Tensor& logits, LogitsOf kind);
// The logits `out` was computed from by `kind`, or an undefined tensor.
Tensor logits_behind(const Tensor& out, LogitsOf kind);
// Number of live links (for tests: the table does not grow with steps).
size_t remembered_logits_count();

}  // namespace nabla
