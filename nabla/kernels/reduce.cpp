#include "nabla/kernels/reduce.h"

#include <limits>

#include "nabla/core/parallel.h"

namespace nabla::kernels {
namespace {

struct Geometry {
  int64_t outer = 1, n = 1, inner = 1;
};
Geometry geometry(const Shape& s, int axis) {
  Geometry g;
  for (int i = 0; i < axis; ++i) g.outer *= s[i];
  g.n = s[axis];
  for (int i = axis + 1; i < s.size(); ++i) g.inner *= s[i];
  return g;
}

}  // namespace

Tensor reduce_axis(const Tensor& src, int axis, ReduceOp op) {
  Tensor t = src.contiguous();
  axis = t.shape().axis(axis);
  Geometry g = geometry(t.shape(), axis);
  Shape os = t.shape();
  os[axis] = 1;
  Tensor out = make_tensor(os, t.dtype());
  NABLA_CHECK(g.n > 0 || op == ReduceOp::sum, "reduction over an empty axis of shape ", t.shape().str());
  NABLA_DISPATCH_ALL(t.dtype(), T, {
    const T* p = t.data<T>();
    T* o = out.data<T>();
    parallel_for(0, g.outer, g.n * g.inner, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        T* orow = o + i * g.inner;
        const T* base = p + i * g.n * g.inner;
        for (int64_t j = 0; j < g.inner; ++j) orow[j] = g.n ? base[j] : T(0);
        for (int64_t k = 1; k < g.n; ++k) {
          const T* row = base + k * g.inner;
          switch (op) {
            case ReduceOp::sum:
              for (int64_t j = 0; j < g.inner; ++j) orow[j] += row[j];
              break;
            case ReduceOp::max:
              for (int64_t j = 0; j < g.inner; ++j) orow[j] = row[j] > orow[j] ? row[j] : orow[j];
              break;
            case ReduceOp::min:
              for (int64_t j = 0; j < g.inner; ++j) orow[j] = row[j] < orow[j] ? row[j] : orow[j];
              break;
          }
        }
      }
    });
  });
  return out;
}

Tensor arg_reduce_axis(const Tensor& src, int axis, ReduceOp op) {
  NABLA_CHECK(op != ReduceOp::sum, "arg_reduce_axis: op must be max or min");
  Tensor t = src.contiguous();
  axis = t.shape().axis(axis);
  Geometry g = geometry(t.shape(), axis);
  NABLA_CHECK(g.n > 0 || g.outer * g.inner == 0, "argmax/argmin over an empty axis of shape ", t.shape().str());
  const bool want_max = op == ReduceOp::max;
  Shape os = t.shape();
  os[axis] = 1;
  Tensor out = make_tensor(os, i64);
  int64_t* o = out.data<int64_t>();
  NABLA_DISPATCH_ALL(t.dtype(), T, {
    const T* p = t.data<T>();
    for (int64_t i = 0; i < g.outer; ++i)
      for (int64_t j = 0; j < g.inner; ++j) {
        const T* base = p + i * g.n * g.inner + j;
        int64_t best = 0;
        for (int64_t k = 1; k < g.n; ++k)
          if (want_max ? base[k * g.inner] > base[best * g.inner] : base[k * g.inner] < base[best * g.inner]) best = k;
        o[i * g.inner + j] = best;
      }
  });
  return out;
}

namespace {
template <class T>
T sum_all(const T* p, int64_t n) {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
  int nt = threads_for(n);
  if (nt > 1) {
    Acc acc = 0;
#pragma omp parallel for reduction(+ : acc) num_threads(nt)
    for (int64_t i = 0; i < n; ++i) acc += p[i];
    return T(acc);
  }
  // Four partial sums let the compiler vectorize without -ffast-math.
  Acc a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    a0 += p[i];
    a1 += p[i + 1];
    a2 += p[i + 2];
    a3 += p[i + 3];
  }
  for (; i < n; ++i) a0 += p[i];
  return T(a0 + a1 + a2 + a3);
}
}  // namespace

Tensor reduce_all(const Tensor& src, ReduceOp op) {
  Tensor t = src.contiguous();
  Tensor out = make_tensor(Shape{}, t.dtype());
  int64_t n = t.numel();
  NABLA_CHECK(n > 0 || op == ReduceOp::sum, "max/min of an empty tensor");
  NABLA_DISPATCH_ALL(t.dtype(), T, {
    const T* p = t.data<T>();
    if (op == ReduceOp::sum) {
      *out.data<T>() = sum_all(p, n);
    } else {
      T v = p[0];
      for (int64_t i = 1; i < n; ++i) v = op == ReduceOp::max ? (p[i] > v ? p[i] : v) : (p[i] < v ? p[i] : v);
      *out.data<T>() = v;
    }
  });
  return out;
}

}  // namespace nabla::kernels
