#pragma once
// Differentiable activations (Keras's names and defaults). softmax/log_softmax act on the last axis.
#include <string>

#include "nabla/core/tensor.h"

namespace nabla {

Tensor relu(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor gelu(const Tensor& x);                          // exact (erf) form, Keras's default
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.2);
Tensor elu(const Tensor& x, double alpha = 1.0);
Tensor softplus(const Tensor& x);
Tensor softmax(const Tensor& x);                       // remembers its logits for the fused crossentropy
Tensor log_softmax(const Tensor& x);

// Applies an activation by Keras name ("relu", "softmax", "linear" or "" for none, ...).
Tensor activation(const Tensor& x, const std::string& name);
bool is_activation_name(const std::string& name);

}  // namespace nabla
