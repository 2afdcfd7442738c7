#pragma once
// The activation a GEMM or convolution applies to its output before storing it (a oneDNN post-op), so that
// Dense(…, "relu") and Conv2D(…, "relu") make one pass over their output. The one enum for this: ops/ spell
// it nabla::FusedActivation (ops/linear.h), the kernels take it as their `act` argument.
namespace nabla::kernels {

enum class FusedActivation { none, relu };

}  // namespace nabla::kernels
