#include "nabla/ops/activations.h"

#include <cmath>

#include "nabla/autograd/node.h"
#include "nabla/kernels/elementwise.h"
#include "nabla/kernels/softmax.h"
#include "nabla/ops/fused_logits.h"
#include "nabla/ops/math.h"

namespace nabla {

using autograd::GradList;
using autograd::record;

namespace {

template <class F>
Tensor map(const Tensor& x, F f) {
  Tensor out = make_tensor(x.shape(), x.dtype());
  NABLA_DISPATCH_FLOAT(x.dtype(), T, kernels::unary_loop<T, T>(x, out, [&](T v) { return T(f(v)); }));
  return out;
}
// g * f(a) elementwise with a same-shaped tensor a (out contiguous).
template <class F>
Tensor map_grad(const Tensor& g, const Tensor& a, F f) {
  Tensor out = make_tensor(g.shape(), g.dtype());
  NABLA_DISPATCH_FLOAT(g.dtype(), T, kernels::binary_loop<T, T>(g, a, out, [&](T gv, T av) { return T(gv * f(av)); }));
  return out;
}

// Row-wise over the last axis: out = softmax(x) or log_softmax(x).
Tensor softmax_rows(const Tensor& x0, bool log) {
  Tensor x = x0.contiguous();
  Tensor out = make_tensor(x.shape(), x.dtype());
  kernels::softmax_rows(x, out, log);
  return out;
}

// The backward of either, from the saved output.
autograd::BackwardFn softmax_backward(const Tensor& y, bool log) {
  return [y = y.detach(), log](const Tensor& g, GradList& gi) {
    Tensor dx = make_tensor(y.shape(), y.dtype());
    kernels::softmax_backward_rows(y, g.contiguous(), dx, log);
    gi[0] = dx;
  };
}

}  // namespace

Tensor relu(const Tensor& x) {
  Tensor y = map(x, [](auto v) { return v > 0 ? v : decltype(v)(0); });
  return record(y, "relu", {&x}, [&] {
    return [y = y.detach()](const Tensor& g, GradList& gi) {
      gi[0] = map_grad(g, y, [](auto v) { return v > 0 ? 1 : 0; });
    };
  });
}

Tensor sigmoid(const Tensor& x) {
  Tensor y = map(x, [](auto v) {
    using T = decltype(v);
    // Stable on both tails: never exponentiates a large positive number.
    return v >= 0 ? T(1) / (T(1) + std::exp(-v)) : std::exp(v) / (T(1) + std::exp(v));
  });
  remember_logits(y, x, LogitsOf::sigmoid);
  return record(y, "sigmoid", {&x}, [&] {
    return [y = y.detach()](const Tensor& g, GradList& gi) {
      gi[0] = map_grad(g, y, [](auto s) { return s * (1 - s); });
    };
  });
}

Tensor tanh(const Tensor& x) {
  Tensor y = map(x, [](auto v) { return std::tanh(v); });
  return record(y, "tanh", {&x}, [&] {
    return [y = y.detach()](const Tensor& g, GradList& gi) {
      gi[0] = map_grad(g, y, [](auto t) { return 1 - t * t; });
    };
  });
}

Tensor gelu(const Tensor& x) {
  Tensor y = map(x, [](auto v) {
    using T = decltype(v);
    return T(0.5) * v * (T(1) + std::erf(v * T(M_SQRT1_2)));
  });
  return record(y, "gelu", {&x}, [&] {
    return [x = x.detach()](const Tensor& g, GradList& gi) {
      gi[0] = map_grad(g, x, [](auto v) {
        using T = decltype(v);
        T cdf = T(0.5) * (T(1) + std::erf(v * T(M_SQRT1_2)));
        T pdf = std::exp(T(-0.5) * v * v) * T(0.3989422804014327);
        return cdf + v * pdf;
      });
    };
  });
}

Tensor leaky_relu(const Tensor& x, double slope) {
  Tensor y = map(x, [slope](auto v) { return v > 0 ? v : decltype(v)(slope) * v; });
  return record(y, "leaky_relu", {&x}, [&] {
    return [x = x.detach(), slope](const Tensor& g, GradList& gi) {
      gi[0] = map_grad(g, x, [slope](auto v) { return v > 0 ? decltype(v)(1) : decltype(v)(slope); });
    };
  });
}

Tensor elu(const Tensor& x, double alpha) {
  Tensor y = map(x, [alpha](auto v) { return v > 0 ? v : decltype(v)(alpha) * std::expm1(v); });
  return record(y, "elu", {&x}, [&] {
    return [x = x.detach(), alpha](const Tensor& g, GradList& gi) {
      gi[0] = map_grad(g, x, [alpha](auto v) { return v > 0 ? decltype(v)(1) : decltype(v)(alpha) * std::exp(v); });
    };
  });
}

Tensor softplus(const Tensor& x) {
  Tensor y = map(x, [](auto v) { return v > 0 ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v)); });
  return record(y, "softplus", {&x}, [&] {
    return [x = x.detach()](const Tensor& g, GradList& gi) {
      gi[0] = map_grad(g, x, [](auto v) {
        using T = decltype(v);
        return v >= 0 ? T(1) / (T(1) + std::exp(-v)) : std::exp(v) / (T(1) + std::exp(v));
      });
    };
  });
}

Tensor softmax(const Tensor& x) {
  Tensor y = softmax_rows(x, false);
  remember_logits(y, x, LogitsOf::softmax);
  return record(y, "softmax", {&x}, [&] { return softmax_backward(y, false); });
}

Tensor log_softmax(const Tensor& x) {
  Tensor y = softmax_rows(x, true);
  return record(y, "log_softmax", {&x}, [&] { return softmax_backward(y, true); });
}

namespace {
const char* const kActivationNames[] = {
    "linear",      "relu",      "relu6",      "sigmoid",  "tanh",  "softmax",     "log_softmax", "gelu",
    "leaky_relu",  "elu",       "selu",       "celu",     "softplus", "softsign", "silu",        "swish",
    "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "exponential", "mish", "log_sigmoid"};
}  // namespace

bool is_activation_name(const std::string& n) {
  if (n.empty()) return true;
  for (const char* k : kActivationNames)
    if (n == k) return true;
  return false;
}

Tensor activation(const Tensor& x, const std::string& n) {
  if (n.empty() || n == "linear") return x;
  if (n == "relu") return relu(x);
  if (n == "relu6") return relu6(x);
  if (n == "sigmoid") return sigmoid(x);
  if (n == "tanh") return tanh(x);
  if (n == "softmax") return softmax(x);
  if (n == "log_softmax") return log_softmax(x);
  if (n == "gelu") return gelu(x);
  if (n == "leaky_relu") return leaky_relu(x);
  if (n == "elu") return elu(x);
  if (n == "selu") return selu(x);
  if (n == "celu") return celu(x);
  if (n == "softplus") return softplus(x);
  if (n == "softsign") return softsign(x);
  if (n == "silu" || n == "swish") return silu(x);
  if (n == "hard_sigmoid") return hard_sigmoid(x);
  if (n == "hard_silu" || n == "hard_swish") return hard_silu(x);
  if (n == "hard_tanh") return hard_tanh(x);
  if (n == "exponential") return exponential(x);
  if (n == "mish") return mish(x);
  if (n == "log_sigmoid") return log_sigmoid(x);
  std::string known;
  for (const char* k : kActivationNames) known += (known.empty() ? "" : ", ") + std::string(k);
  throw ValueError("unknown activation '" + n + "' (known: " + known + ")");
}

}  // namespace nabla
