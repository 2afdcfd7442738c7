#pragma once
// Differentiable activations with Keras 3's names, defaults and formulas (keras/src/activations).
// softmax/log_softmax act on the last axis.
#include <optional>
#include <string>

#include "nabla/core/tensor.h"

namespace nabla {

Tensor relu(const Tensor& x);
// Keras's relu(x, negative_slope, max_value, threshold): (x > threshold ? x : 0), clipped to max_value, minus
// negative_slope * max(threshold - x, 0); with only a slope it is leaky_relu (max(x, slope x)).
struct ReluOptions {
  double negative_slope = 0;
  std::optional<double> max_value;
  double threshold = 0;
};
Tensor relu(const Tensor& x, const ReluOptions& o);
Tensor relu6(const Tensor& x);                         // min(max(x, 0), 6)
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor gelu(const Tensor& x);                          // exact (erf) form, Keras's default
Tensor gelu(const Tensor& x, bool approximate);        // approximate: the tanh form
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.2);
Tensor elu(const Tensor& x, double alpha = 1.0);
Tensor selu(const Tensor& x);                          // scale * elu(x, alpha) with Klambauer et al.'s constants
Tensor celu(const Tensor& x, double alpha = 1.0);      // x >= 0 ? x : alpha (exp(x / alpha) - 1)
Tensor softplus(const Tensor& x);
Tensor softsign(const Tensor& x);                      // x / (1 + |x|)
Tensor silu(const Tensor& x);                          // x sigmoid(x); Keras's "swish" too
Tensor hard_sigmoid(const Tensor& x);                  // Keras 3: relu6(x + 3) / 6 (not tf.keras 2's 0.2 x + 0.5)
Tensor hard_silu(const Tensor& x);                     // x hard_sigmoid(x); "hard_swish" too
Tensor hard_tanh(const Tensor& x);                     // clip(x, -1, 1)
Tensor exponential(const Tensor& x);                   // exp(x)
Tensor mish(const Tensor& x);                          // x tanh(softplus(x))
Tensor log_sigmoid(const Tensor& x);                   // -softplus(-x)
Tensor softmax(const Tensor& x);                       // remembers its logits for the fused crossentropy
Tensor log_softmax(const Tensor& x);

// Applies an activation by Keras name ("relu", "softmax", "linear" or "" for none, "swish", "hard_swish", ...).
Tensor activation(const Tensor& x, const std::string& name);
bool is_activation_name(const std::string& name);

}  // namespace nabla
