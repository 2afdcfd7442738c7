#pragma once
// Differentiable elementwise math with NumPy broadcasting. Mixed dtypes promote to the wider type; a double
// scalar takes the tensor's dtype.
#include "nabla/core/tensor.h"

namespace nabla {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);

Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor square(const Tensor& x);
Tensor pow(const Tensor& x, double p);
Tensor clip(const Tensor& x, double lo, double hi);  // gradient passes where lo <= x <= hi

// Comparisons give float tensors of 0/1 in the promoted dtype (no gradient).
Tensor greater(const Tensor& a, const Tensor& b);
Tensor less(const Tensor& a, const Tensor& b);
Tensor equal(const Tensor& a, const Tensor& b);

// A one-element tensor of x's dtype (used by the scalar operators).
Tensor scalar_like(const Tensor& x, double v);

inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& a) { return neg(a); }
inline Tensor operator+(const Tensor& a, double s) { return add(a, scalar_like(a, s)); }
inline Tensor operator-(const Tensor& a, double s) { return sub(a, scalar_like(a, s)); }
inline Tensor operator*(const Tensor& a, double s) { return mul(a, scalar_like(a, s)); }
inline Tensor operator/(const Tensor& a, double s) { return div(a, scalar_like(a, s)); }
inline Tensor operator+(double s, const Tensor& a) { return add(scalar_like(a, s), a); }
inline Tensor operator-(double s, const Tensor& a) { return sub(scalar_like(a, s), a); }
inline Tensor operator*(double s, const Tensor& a) { return mul(scalar_like(a, s), a); }
inline Tensor operator/(double s, const Tensor& a) { return div(scalar_like(a, s), a); }

}  // namespace nabla
