#pragma once
// Weight initializers with Keras's names and formulas. Fans follow Keras: for a kernel of shape
// [..receptive.., fan_in, fan_out] (Dense [in, out], Conv2D [kh, kw, in, out]).
#include <functional>
#include <string>

#include "nabla/core/tensor.h"

namespace nabla::nn {

using Initializer = std::function<void(Tensor&)>;

Initializer glorot_uniform(Generator* gen = nullptr);
Initializer glorot_normal(Generator* gen = nullptr);
Initializer he_normal(Generator* gen = nullptr);
Initializer he_uniform(Generator* gen = nullptr);
Initializer lecun_normal(Generator* gen = nullptr);
Initializer lecun_uniform(Generator* gen = nullptr);
Initializer random_normal(double mean = 0.0, double stddev = 0.05, Generator* gen = nullptr);
Initializer random_uniform(double lo = -0.05, double hi = 0.05, Generator* gen = nullptr);
Initializer constant(double value);
Initializer zeros();
Initializer ones();
// By Keras name: "glorot_uniform", "he_normal", "zeros", ...
Initializer initializer(const std::string& name);

// (fan_in, fan_out) of a weight shape, as Keras computes them.
std::pair<double, double> compute_fans(const Shape& shape);

}  // namespace nabla::nn
