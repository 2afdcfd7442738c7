#include "nabla/kernels/elementwise.h"

#include "nabla/kernels/reduce.h"

namespace nabla::kernels {

DType promote(DType a, DType b) {
  if (a == b) return a;
  auto rank = [](DType t) {
    switch (t) {
      case DType::u8: return 0;
      case DType::i32: return 1;
      case DType::i64: return 2;
      case DType::f32: return 3;
      case DType::f64: return 4;
    }
    return 0;
  };
  return rank(a) > rank(b) ? a : b;
}

void add_inplace(Tensor& dst, const Tensor& src) {
  NABLA_CHECK(dst.is_contiguous(), "add_inplace: destination must be contiguous");
  Tensor s = src.to(dst.dtype()).contiguous();
  NABLA_DISPATCH_ALL(dst.dtype(), T, {
    T* d = dst.data<T>();
    const T* p = s.data<T>();
    parallel_for(0, dst.numel(), 2, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) d[i] += p[i];
    });
  });
}

void axpy_inplace(Tensor& dst, double alpha, const Tensor& src) {
  NABLA_DISPATCH_FLOAT(dst.dtype(), T, {
    T* d = dst.data<T>();
    const T* p = src.data<T>();
    T a = T(alpha);
    parallel_for(0, dst.numel(), 2, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) d[i] += a * p[i];
    });
  });
}

Tensor relu_grad(const Tensor& g0, const Tensor& y) {
  Tensor g = g0.contiguous();
  Tensor out = make_tensor(g.shape(), g.dtype());
  NABLA_DISPATCH_FLOAT(g.dtype(), T, {
    const T* gp = g.data<T>();
    const T* yp = y.data<T>();
    T* o = out.data<T>();
    parallel_for(0, g.numel(), 2, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) {
        const T v = gp[i];  // read unconditionally: the select vectorizes
        o[i] = yp[i] > T(0) ? v : T(0);
      }
    });
  });
  return out;
}

Tensor sum_to(const Tensor& t, const Shape& shape) {
  if (t.shape() == shape) return t;
  Tensor r = t.contiguous();
  int lead = r.dim() - shape.size();
  NABLA_CHECK_SHAPE(lead >= 0, "sum_to: cannot reduce ", t.shape().str(), " to ", shape.str());
  // Fast path: [rows, m] -> [m] (bias gradients).
  if (lead == 1 && r.dim() == 2 && shape[0] == r.size(1)) {
    Tensor out = Tensor::zeros(shape, r.dtype());
    NABLA_DISPATCH_ALL(r.dtype(), T, {
      const T* p = r.data<T>();
      T* o = out.data<T>();
      int64_t rows = r.size(0), m = r.size(1);
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < m; ++j) o[j] += p[i * m + j];
    });
    return out;
  }
  for (int i = 0; i < lead; ++i) {
    Tensor s = reduce_axis(r, 0, ReduceOp::sum);  // contiguous, leading dim 1: drop it
    Shape rest(s.shape().begin() + 1, s.shape().end());
    r = make_view(s, rest, contiguous_strides(rest), s.offset());
  }
  for (int i = 0; i < shape.size(); ++i)
    if (shape[i] == 1 && r.size(i) != 1) r = reduce_axis(r, i, ReduceOp::sum);
  NABLA_CHECK_SHAPE(r.shape() == shape, "sum_to: cannot reduce ", t.shape().str(), " to ", shape.str());
  return r;
}

}  // namespace nabla::kernels
