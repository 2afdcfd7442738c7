#pragma once
// Matrix products. linear() is Dense's op: x[N,K] * W[K,M] + b[M], with relu fused into the GEMM when asked.
#include "nabla/core/tensor.h"
#include "nabla/kernels/fused_activation.h"

namespace nabla {

Tensor matmul(const Tensor& a, const Tensor& b);  // 2-d x 2-d

using kernels::FusedActivation;  // the activation fused into the GEMM / convolution
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b = Tensor(), FusedActivation act = FusedActivation::none);

}  // namespace nabla
