#pragma once
// Row-wise softmax over the last axis, the one copy of it: the softmax and log_softmax ops and the fused
// crossentropies all call these loops (max-subtracted, so exp never overflows).
#include "nabla/core/tensor.h"

namespace nabla::kernels {

// out = softmax(x) (or log_softmax when `log`) over rows of x.shape().back() elements. x and out contiguous,
// same shape. lse, when given (contiguous, one element per row), receives each row's log(sum(exp(x))).
void softmax_rows(const Tensor& x, Tensor& out, bool log, Tensor* lse = nullptr);

// The gradients given y = softmax(x) (or y = log_softmax(x)) and g = dL/dy, row-wise:
// dx = y * (g - sum(g * y)), or dx = g - exp(y) * sum(g). All contiguous, same shape.
void softmax_backward_rows(const Tensor& y, const Tensor& g, Tensor& dx, bool log);

}  // namespace nabla::kernels
