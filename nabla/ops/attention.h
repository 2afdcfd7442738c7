#pragma once
// The two ops of dot-product attention (MultiHeadAttention, Attention):
//  batch_matmul:   out[i] = op(a[i]) * op(b[i]) over a leading batch axis (op = transpose when asked), one GEMM
//                  per batch entry on views, no copies of the operands;
//  masked_softmax: Keras's Softmax(mask) with the 1/sqrt(key_dim) scaling fused in, over the last axis:
//                  y = where(mask, softmax(where(mask, scale * s, -1e9)), 0) in one pass forward and one
//                  backward, so the scaled and the masked scores are never materialized. The final zeroing is
//                  Keras's: a row whose every key is masked gives zeros rather than a uniform distribution.
#include "nabla/core/tensor.h"

namespace nabla {

// a: [B, M, K] ([B, K, M] when trans_a), b: [B, K, N] ([B, N, K] when trans_b) -> [B, M, N].
Tensor batch_matmul(const Tensor& a, const Tensor& b, bool trans_a = false, bool trans_b = false);

// scores: [..., Tk]; mask: undefined, or broadcastable to scores (same rank or fewer axes, each 1 or equal;
// any dtype, nonzero = attend). The mask gets no gradient.
Tensor masked_softmax(const Tensor& scores, const Tensor& mask = Tensor(), double scale = 1.0);

}  // namespace nabla
