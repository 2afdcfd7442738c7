#include "nabla/kernels/softmax.h"

#include <cmath>

#include "nabla/core/parallel.h"

namespace nabla::kernels {

void softmax_rows(const Tensor& x, Tensor& out, bool log, Tensor* lse) {
  NABLA_CHECK_SHAPE(x.dim() >= 1, "softmax of a scalar");
  NABLA_CHECK(x.is_contiguous() && out.is_contiguous() && out.shape() == x.shape() && out.dtype() == x.dtype(),
              "softmax_rows: x and out must be contiguous with the same shape and dtype");
  const int64_t c = x.shape().back(), rows = c ? x.numel() / c : 0;
  if (lse) NABLA_CHECK(lse->numel() == rows && lse->is_contiguous() && lse->dtype() == x.dtype(),
                       "softmax_rows: lse must hold one value per row");
  NABLA_DISPATCH_FLOAT(x.dtype(), T, {
    const T* p = x.data<T>();
    T* o = out.data<T>();
    T* l = lse ? lse->data<T>() : nullptr;
    parallel_for(0, rows, 4 * c, [&](int64_t s, int64_t e) {
      for (int64_t r = s; r < e; ++r) {
        const T* xr = p + r * c;
        T* yr = o + r * c;
        T m = xr[0];
        for (int64_t j = 1; j < c; ++j) m = xr[j] > m ? xr[j] : m;
        T sum = 0;
        for (int64_t j = 0; j < c; ++j) {
          yr[j] = std::exp(xr[j] - m);
          sum += yr[j];
        }
        const T ls = std::log(sum) + m;
        if (l) l[r] = ls;
        if (log) {
          for (int64_t j = 0; j < c; ++j) yr[j] = xr[j] - ls;
        } else {
          T inv = T(1) / sum;
          for (int64_t j = 0; j < c; ++j) yr[j] *= inv;
        }
      }
    });
  });
}

void softmax_backward_rows(const Tensor& y, const Tensor& g, Tensor& dx, bool log) {
  NABLA_CHECK(y.is_contiguous() && g.is_contiguous() && dx.is_contiguous() && g.shape() == y.shape() &&
                  dx.shape() == y.shape(),
              "softmax_backward_rows: y, g and dx must be contiguous with the same shape");
  const int64_t c = y.shape().back(), rows = c ? y.numel() / c : 0;
  NABLA_DISPATCH_FLOAT(y.dtype(), T, {
    const T* yp = y.data<T>();
    const T* gp = g.data<T>();
    T* o = dx.data<T>();
    for (int64_t r = 0; r < rows; ++r) {
      const T* yr = yp + r * c;
      const T* gr = gp + r * c;
      T* orow = o + r * c;
      T acc = 0;
      if (log) {
        for (int64_t j = 0; j < c; ++j) acc += gr[j];
        for (int64_t j = 0; j < c; ++j) orow[j] = gr[j] - std::exp(yr[j]) * acc;
      } else {
        for (int64_t j = 0; j < c; ++j) acc += gr[j] * yr[j];
        for (int64_t j = 0; j < c; ++j) orow[j] = yr[j] * (gr[j] - acc);
      }
    }
  });
}

}  // namespace nabla::kernels
