#pragma once
// batch_norm: Keras's BatchNormalization over the last (channel) axis.
//  training: normalizes with the batch's mean and (biased) variance over all other axes, and moves the moving
//            statistics in place: moving = moving * momentum + batch * (1 - momentum);
//  inference: normalizes with the moving statistics.
// y = gamma * (x - mean) / sqrt(var + epsilon) + beta; gamma / beta may be undefined (scale / center off).
#include "nabla/core/tensor.h"

namespace nabla {

struct BatchNormArgs {
  bool training = false;
  double momentum = 0.99;
  double epsilon = 1e-3;
};

// moving_mean / moving_variance: [c], same dtype as x; updated in place when training (never differentiated).
Tensor batch_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor& moving_mean,
                  const Tensor& moving_variance, const BatchNormArgs& args = {});

}  // namespace nabla
