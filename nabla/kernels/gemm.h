#pragma once
// Matrix multiply on real libraries: oneDNN's matmul for float32 (primitives cached per shape and layout,
// bias and activation fused as post-ops) and OpenBLAS's dgemm for float64 (used by gradient checks).
#include "nabla/core/tensor.h"
#include "nabla/kernels/fused_activation.h"

namespace nabla::kernels {

// C = act(op(A) * op(B) [+ bias]), or C += ... when accumulate is set.
// A, B: 2-d with unit stride in one dimension (transposed views are fine). C: contiguous [M, N].
// bias: contiguous [N] or undefined.
void gemm(const Tensor& A, bool trans_a, const Tensor& B, bool trans_b, Tensor& C, const Tensor& bias = Tensor(),
          FusedActivation act = FusedActivation::none, bool accumulate = false);

// Threads a GEMM of this size should use on this machine (1 for small problems; see docs/design.md).
int gemm_threads(int64_t m, int64_t n, int64_t k);

// Number of oneDNN primitives created so far (tests check that steady-state training creates none).
int64_t gemm_primitives_created();

}  // namespace nabla::kernels
