// Keras 3's elementwise activations beyond the core ones of activations.cpp, each with its derivative next to it.
// Formulas follow keras/src/backend/numpy/nn.py and keras/src/activations/activations.py.
#include <cmath>

#include "nabla/autograd/node.h"
#include "nabla/kernels/elementwise.h"
#include "nabla/ops/activations.h"

namespace nabla {

using autograd::GradList;
using autograd::record;

namespace {

// y = f(x) elementwise, with dy/dx = df(x): one op named `name` in the autograd graph.
template <class F, class DF>
Tensor unary(const char* name, const Tensor& x, F f, DF df) {
  Tensor y = make_tensor(x.shape(), x.dtype());
  NABLA_DISPATCH_FLOAT(x.dtype(), T, kernels::unary_loop<T, T>(x, y, [&](T v) { return T(f(v)); }));
  return record(y, name, {&x}, [&] {
    return [x = x.detach(), df](const Tensor& g, GradList& gi) {
      Tensor out = make_tensor(g.shape(), g.dtype());
      NABLA_DISPATCH_FLOAT(g.dtype(), T,
                           kernels::binary_loop<T, T>(g, x, out, [&](T gv, T xv) { return T(gv * df(xv)); }));
      gi[0] = out;
    };
  });
}

template <class T>
T stable_sigmoid(T v) {
  return v >= 0 ? T(1) / (T(1) + std::exp(-v)) : std::exp(v) / (T(1) + std::exp(v));
}
template <class T>
T stable_softplus(T v) {
  return v > 0 ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v));
}

constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;

}  // namespace

Tensor relu(const Tensor& x, const ReluOptions& o) {
  NABLA_CHECK(!o.max_value || *o.max_value >= 0, "relu: max_value must be >= 0, got ", *o.max_value);
  NABLA_CHECK(o.negative_slope >= 0, "relu: negative_slope must be >= 0, got ", o.negative_slope);
  if (o.negative_slope == 0 && !o.max_value && o.threshold == 0) return relu(x);
  if (o.negative_slope != 0 && !o.max_value && o.threshold == 0) return leaky_relu(x, o.negative_slope);
  const double ns = o.negative_slope, th = o.threshold;
  const bool clip = o.max_value.has_value();
  const double mx = clip ? *o.max_value : 0;
  return unary(
      "relu", x,
      [=](auto v) {
        using T = decltype(v);
        T y = v > T(th) ? v : T(0);
        if (clip) y = std::min(std::max(y, T(0)), T(mx));
        return y - T(ns) * std::max(T(th) - v, T(0));
      },
      [=](auto v) {
        using T = decltype(v);
        T d = v > T(th) && (!clip || (v > T(0) && v < T(mx))) ? T(1) : T(0);
        return d + (v < T(th) ? T(ns) : T(0));
      });
}

Tensor relu6(const Tensor& x) {
  return unary(
      "relu6", x, [](auto v) { using T = decltype(v); return std::min(std::max(v, T(0)), T(6)); },
      [](auto v) { using T = decltype(v); return v > T(0) && v < T(6) ? T(1) : T(0); });
}

Tensor gelu(const Tensor& x, bool approximate) {
  if (!approximate) return gelu(x);
  // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
  return unary(
      "gelu", x,
      [](auto v) {
        using T = decltype(v);
        const T k = T(0.7978845608028654);
        return T(0.5) * v * (T(1) + std::tanh(k * (v + T(0.044715) * v * v * v)));
      },
      [](auto v) {
        using T = decltype(v);
        const T k = T(0.7978845608028654);
        T t = std::tanh(k * (v + T(0.044715) * v * v * v));
        return T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t * t) * k * (T(1) + T(3 * 0.044715) * v * v);
      });
}

Tensor selu(const Tensor& x) {
  return unary(
      "selu", x,
      [](auto v) {
        using T = decltype(v);
        return T(kSeluScale) * (v >= T(0) ? v : T(kSeluAlpha) * std::expm1(v));
      },
      [](auto v) {
        using T = decltype(v);
        return T(kSeluScale) * (v >= T(0) ? T(1) : T(kSeluAlpha) * std::exp(v));
      });
}

Tensor celu(const Tensor& x, double alpha) {
  NABLA_CHECK(alpha != 0, "celu: alpha must not be 0");
  return unary(
      "celu", x, [alpha](auto v) { using T = decltype(v); return v >= T(0) ? v : T(alpha) * std::expm1(v / T(alpha)); },
      [alpha](auto v) { using T = decltype(v); return v >= T(0) ? T(1) : std::exp(v / T(alpha)); });
}

Tensor softsign(const Tensor& x) {
  return unary(
      "softsign", x, [](auto v) { using T = decltype(v); return v / (T(1) + std::abs(v)); },
      [](auto v) {
        using T = decltype(v);
        T d = T(1) + std::abs(v);
        return T(1) / (d * d);
      });
}

Tensor silu(const Tensor& x) {
  return unary(
      "silu", x, [](auto v) { return v * stable_sigmoid(v); },
      [](auto v) {
        using T = decltype(v);
        T s = stable_sigmoid(v);
        return s * (T(1) + v * (T(1) - s));
      });
}

Tensor hard_sigmoid(const Tensor& x) {
  return unary(
      "hard_sigmoid", x,
      [](auto v) { using T = decltype(v); return std::min(std::max(v / T(6) + T(0.5), T(0)), T(1)); },
      [](auto v) { using T = decltype(v); return v > T(-3) && v < T(3) ? T(1) / T(6) : T(0); });
}

Tensor hard_silu(const Tensor& x) {
  return unary(
      "hard_silu", x,
      [](auto v) { using T = decltype(v); return v * std::min(std::max(v / T(6) + T(0.5), T(0)), T(1)); },
      [](auto v) {
        using T = decltype(v);
        if (v <= T(-3)) return T(0);
        if (v >= T(3)) return T(1);
        return v / T(3) + T(0.5);
      });
}

Tensor hard_tanh(const Tensor& x) {
  return unary(
      "hard_tanh", x, [](auto v) { using T = decltype(v); return std::min(std::max(v, T(-1)), T(1)); },
      [](auto v) { using T = decltype(v); return v > T(-1) && v < T(1) ? T(1) : T(0); });
}

Tensor exponential(const Tensor& x) {
  return unary("exponential", x, [](auto v) { return std::exp(v); }, [](auto v) { return std::exp(v); });
}

Tensor mish(const Tensor& x) {
  return unary(
      "mish", x, [](auto v) { return v * std::tanh(stable_softplus(v)); },
      [](auto v) {
        using T = decltype(v);
        T t = std::tanh(stable_softplus(v));
        return t + v * (T(1) - t * t) * stable_sigmoid(v);
      });
}

Tensor log_sigmoid(const Tensor& x) {
  return unary(
      "log_sigmoid", x, [](auto v) { return -stable_softplus(-v); }, [](auto v) { return stable_sigmoid(-v); });
}

}  // namespace nabla
