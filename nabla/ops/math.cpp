#include "nabla/ops/math.h"

#include <algorithm>
#include <cmath>

#include "nabla/autograd/node.h"
#include "nabla/kernels/elementwise.h"

namespace nabla {
namespace {

using autograd::GradList;
using autograd::record;
using kernels::sum_to;

// Computes f(a, b) in the promoted dtype. Integer dtypes are allowed for ops where IntOk.
template <bool IntOk, class F>
Tensor binary(const Tensor& a0, const Tensor& b0, F f) {
  DType dt = kernels::promote(a0.dtype(), b0.dtype());
  Tensor a = a0.to(dt), b = b0.to(dt);
  Tensor out = make_tensor(broadcast_shapes(a.shape(), b.shape()), dt);
  if constexpr (IntOk) {
    NABLA_DISPATCH_ALL(dt, T, kernels::binary_loop<T, T>(a, b, out, [&](T x, T y) { return T(f(x, y)); }));
  } else {
    NABLA_DISPATCH_FLOAT(dt, T, kernels::binary_loop<T, T>(a, b, out, [&](T x, T y) { return T(f(x, y)); }));
  }
  return out;
}

template <class F>
Tensor unary(const Tensor& x, F f) {
  Tensor out = make_tensor(x.shape(), x.dtype());
  NABLA_DISPATCH_FLOAT(x.dtype(), T, kernels::unary_loop<T, T>(x, out, [&](T v) { return T(f(v)); }));
  return out;
}

Tensor reduce_grad(const Tensor& g, const Tensor& like) {
  Tensor r = sum_to(g, like.shape());
  return r.dtype() == like.dtype() ? r : r.to(like.dtype());
}

}  // namespace

Tensor scalar_like(const Tensor& x, double v) { return Tensor::scalar(v, is_floating(x.dtype()) ? x.dtype() : f32); }

Tensor add(const Tensor& a, const Tensor& b) {
  return record(binary<true>(a, b, [](auto x, auto y) { return x + y; }), "add", {&a, &b}, [&] {
    return [a = a.detach(), b = b.detach()](const Tensor& g, GradList& gi) {
      gi[0] = reduce_grad(g, a);
      gi[1] = reduce_grad(g, b);
    };
  });
}

Tensor sub(const Tensor& a, const Tensor& b) {
  return record(binary<true>(a, b, [](auto x, auto y) { return x - y; }), "sub", {&a, &b}, [&] {
    return [a = a.detach(), b = b.detach()](const Tensor& g, GradList& gi) {
      gi[0] = reduce_grad(g, a);
      gi[1] = reduce_grad(neg(g), b);
    };
  });
}

Tensor mul(const Tensor& a, const Tensor& b) {
  return record(binary<true>(a, b, [](auto x, auto y) { return x * y; }), "mul", {&a, &b}, [&] {
    return [a = a.detach(), b = b.detach()](const Tensor& g, GradList& gi) {
      gi[0] = reduce_grad(mul(g, b), a);
      gi[1] = reduce_grad(mul(g, a), b);
    };
  });
}

Tensor div(const Tensor& a, const Tensor& b) {
  return record(binary<false>(a, b, [](auto x, auto y) { return x / y; }), "div", {&a, &b}, [&] {
    return [a = a.detach(), b = b.detach()](const Tensor& g, GradList& gi) {
      gi[0] = reduce_grad(div(g, b), a);
      gi[1] = reduce_grad(neg(div(mul(g, a), mul(b, b))), b);
    };
  });
}

Tensor maximum(const Tensor& a, const Tensor& b) {
  return record(binary<true>(a, b, [](auto x, auto y) { return x >= y ? x : y; }), "maximum", {&a, &b}, [&] {
    return [a = a.detach(), b = b.detach()](const Tensor& g, GradList& gi) {
      Tensor ma = binary<false>(a, b, [](auto x, auto y) { return x >= y ? 1 : 0; });
      gi[0] = reduce_grad(mul(g, ma), a);
      gi[1] = reduce_grad(mul(g, 1.0 - ma), b);
    };
  });
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  return record(binary<true>(a, b, [](auto x, auto y) { return x <= y ? x : y; }), "minimum", {&a, &b}, [&] {
    return [a = a.detach(), b = b.detach()](const Tensor& g, GradList& gi) {
      Tensor ma = binary<false>(a, b, [](auto x, auto y) { return x <= y ? 1 : 0; });
      gi[0] = reduce_grad(mul(g, ma), a);
      gi[1] = reduce_grad(mul(g, 1.0 - ma), b);
    };
  });
}

Tensor greater(const Tensor& a, const Tensor& b) {
  Tensor r = binary<true>(a, b, [](auto x, auto y) { return x > y ? 1 : 0; });
  return is_floating(r.dtype()) ? r : r.to(f32);
}
Tensor less(const Tensor& a, const Tensor& b) {
  Tensor r = binary<true>(a, b, [](auto x, auto y) { return x < y ? 1 : 0; });
  return is_floating(r.dtype()) ? r : r.to(f32);
}
Tensor equal(const Tensor& a, const Tensor& b) {
  Tensor r = binary<true>(a, b, [](auto x, auto y) { return x == y ? 1 : 0; });
  return is_floating(r.dtype()) ? r : r.to(f32);
}

Tensor neg(const Tensor& x) {
  return record(unary(x, [](auto v) { return -v; }), "neg", {&x},
                [] { return [](const Tensor& g, GradList& gi) { gi[0] = neg(g); }; });
}

Tensor exp(const Tensor& x) {
  Tensor y = unary(x, [](auto v) { return std::exp(v); });
  return record(y, "exp", {&x}, [&] {
    return [y = y.detach()](const Tensor& g, GradList& gi) { gi[0] = mul(g, y); };
  });
}

Tensor log(const Tensor& x) {
  return record(unary(x, [](auto v) { return std::log(v); }), "log", {&x}, [&] {
    return [x = x.detach()](const Tensor& g, GradList& gi) { gi[0] = div(g, x); };
  });
}

Tensor sqrt(const Tensor& x) {
  Tensor y = unary(x, [](auto v) { return std::sqrt(v); });
  return record(y, "sqrt", {&x}, [&] {
    return [y = y.detach()](const Tensor& g, GradList& gi) { gi[0] = div(g, y * 2.0); };
  });
}

Tensor abs(const Tensor& x) {
  return record(unary(x, [](auto v) { return std::abs(v); }), "abs", {&x}, [&] {
    return [x = x.detach()](const Tensor& g, GradList& gi) {
      gi[0] = mul(g, unary(x, [](auto v) { return v > 0 ? 1 : (v < 0 ? -1 : 0); }));
    };
  });
}

Tensor square(const Tensor& x) {
  return record(unary(x, [](auto v) { return v * v; }), "square", {&x}, [&] {
    return [x = x.detach()](const Tensor& g, GradList& gi) { gi[0] = mul(g, x * 2.0); };
  });
}

Tensor pow(const Tensor& x, double p) {
  return record(unary(x, [p](auto v) { return std::pow(v, p); }), "pow", {&x}, [&] {
    return [x = x.detach(), p](const Tensor& g, GradList& gi) {
      gi[0] = mul(g, unary(x, [p](auto v) { return p * std::pow(v, p - 1); }));
    };
  });
}

Tensor clip(const Tensor& x, double lo, double hi) {
  return record(unary(x, [lo, hi](auto v) { return std::min<decltype(v)>(std::max<decltype(v)>(v, lo), hi); }),
                "clip", {&x}, [&] {
                  return [x = x.detach(), lo, hi](const Tensor& g, GradList& gi) {
                    gi[0] = mul(g, unary(x, [lo, hi](auto v) { return v >= lo && v <= hi ? 1 : 0; }));
                  };
                });
}

}  // namespace nabla
