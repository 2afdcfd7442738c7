#pragma once
// Fused, numerically stable crossentropies on logits. Each returns per-sample losses (shape [N]); the loss
// classes in train/ apply weights and the reduction. Gradients are the stable closed forms
// (softmax - onehot, sigmoid - target) rather than chains through exp and log.
#include "nabla/core/tensor.h"

namespace nabla {

// logits [N, C], labels [N] (any integer dtype, or float holding integers). Labels out of [0, C) throw,
// naming the position and the value.
Tensor sparse_softmax_cross_entropy(const Tensor& logits, const Tensor& labels);
// logits [N, C], targets [N, C] (probabilities).
Tensor softmax_cross_entropy(const Tensor& logits, const Tensor& targets);
// logits and targets of the same shape [N, ...]; the mean over all but the first axis, per sample.
Tensor sigmoid_cross_entropy(const Tensor& logits, const Tensor& targets);

}  // namespace nabla
