#include "nabla/ops/attention.h"

#include <cmath>
#include <limits>
#include <vector>

#include "nabla/autograd/node.h"
#include "nabla/core/parallel.h"
#include "nabla/kernels/gemm.h"

namespace nabla {

using autograd::GradList;
using autograd::record;

namespace {

// Entry i of a contiguous [B, R, C] tensor as a [R, C] view (no autograd: kernels only).
Tensor entry(const Tensor& t, int64_t i) {
  return make_view(t, Shape{t.size(1), t.size(2)}, Shape{t.size(2), 1}, i * t.size(1) * t.size(2));
}

// out[i] = op(a[i]) * op(b[i]) for contiguous 3-d a, b, out.
void bmm(const Tensor& a, bool ta, const Tensor& b, bool tb, Tensor& out) {
  for (int64_t i = 0; i < out.size(0); ++i) {
    Tensor c = entry(out, i);
    kernels::gemm(entry(a, i), ta, entry(b, i), tb, c);
  }
}

// The mask as 0/1 bytes of the scores' shape (broadcast axes read with stride 0).
Tensor keep_mask(const Tensor& mask, const Shape& shape) {
  NABLA_CHECK_SHAPE(mask.dim() <= shape.size(), "masked_softmax: mask of shape ", mask.shape().str(),
                    " has more axes than the scores of shape ", shape.str());
  Tensor m = mask.detach().to(f32).contiguous();
  Shape strides(std::vector<int64_t>(size_t(shape.size()), 0));
  const int lead = shape.size() - m.dim();
  int64_t stride = 1;
  for (int d = m.dim() - 1; d >= 0; --d) {
    NABLA_CHECK_SHAPE(m.size(d) == 1 || m.size(d) == shape[lead + d], "masked_softmax: mask of shape ",
                      mask.shape().str(), " does not broadcast to the scores of shape ", shape.str());
    strides[lead + d] = m.size(d) == 1 ? 0 : stride;
    stride *= m.size(d);
  }
  Tensor full = make_view(m, shape, strides, 0).contiguous();
  Tensor keep = make_tensor(shape, u8);
  const float* fp = full.data<float>();
  uint8_t* kp = keep.data<uint8_t>();
  for (int64_t i = 0; i < keep.numel(); ++i) kp[i] = fp[i] != 0.0f;
  return keep;
}

}  // namespace

Tensor batch_matmul(const Tensor& a0, const Tensor& b0, bool ta, bool tb) {
  NABLA_CHECK_SHAPE(a0.dim() == 3 && b0.dim() == 3 && a0.size(0) == b0.size(0), "batch_matmul: expects 3-d "
                    "operands with the same batch size, got ", a0.shape().str(), " and ", b0.shape().str());
  const int64_t m = ta ? a0.size(2) : a0.size(1), k = ta ? a0.size(1) : a0.size(2);
  const int64_t kb = tb ? b0.size(2) : b0.size(1), n = tb ? b0.size(1) : b0.size(2);
  NABLA_CHECK_SHAPE(k == kb, "batch_matmul: shapes ", a0.shape().str(), (ta ? " (transposed)" : ""), " and ",
                    b0.shape().str(), (tb ? " (transposed)" : ""), " are not aligned");
  NABLA_CHECK(a0.dtype() == b0.dtype() && is_floating(a0.dtype()), "batch_matmul: expects two floating operands "
              "of one dtype, got ", dtype_name(a0.dtype()), " and ", dtype_name(b0.dtype()));
  Tensor a = a0.contiguous(), b = b0.contiguous();
  Tensor out = make_tensor(Shape{a.size(0), m, n}, a.dtype());
  bmm(a, ta, b, tb, out);
  return record(out, "batch_matmul", {&a0, &b0}, [&] {
    return [a = a.detach(), b = b.detach(), ta, tb, ga = a0.requires_grad(), gb = b0.requires_grad()](
               const Tensor& g0, GradList& gi) {
      Tensor g = g0.contiguous();
      if (ga) {  // d op(a) = g op(b)^T
        gi[0] = make_tensor(a.shape(), a.dtype());
        if (ta)
          bmm(b, tb, g, true, gi[0]);
        else
          bmm(g, false, b, !tb, gi[0]);
      }
      if (gb) {  // d op(b) = op(a)^T g
        gi[1] = make_tensor(b.shape(), b.dtype());
        if (tb)
          bmm(g, true, a, ta, gi[1]);
        else
          bmm(a, !ta, g, false, gi[1]);
      }
    };
  });
}

Tensor masked_softmax(const Tensor& s0, const Tensor& mask, double scale) {
  NABLA_CHECK_SHAPE(s0.dim() >= 1, "masked_softmax: expects scores with a key axis, got a scalar");
  NABLA_CHECK(is_floating(s0.dtype()), "masked_softmax: expects floating scores, got ", dtype_name(s0.dtype()));
  Tensor s = s0.contiguous();
  Tensor keep = mask.defined() ? keep_mask(mask, s.shape()) : Tensor();
  Tensor y = make_tensor(s.shape(), s.dtype());
  const int64_t n = s.shape().back(), rows = n ? s.numel() / n : 0;
  NABLA_DISPATCH_FLOAT(s.dtype(), T, {
    const T* sp = s.data<T>();
    const uint8_t* kp = keep.defined() ? keep.data<uint8_t>() : nullptr;
    T* yp = y.data<T>();
    const T sc = T(scale), masked = T(-1e9);  // Keras's _large_negative_number for float32
    parallel_for(0, rows, n * 8, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const T* x = sp + r * n;
        const uint8_t* k = kp ? kp + r * n : nullptr;
        T* o = yp + r * n;
        T mx = -std::numeric_limits<T>::infinity();
        for (int64_t j = 0; j < n; ++j) {
          o[j] = k && !k[j] ? masked : sc * x[j];
          mx = o[j] > mx ? o[j] : mx;
        }
        T sum = 0;
        for (int64_t j = 0; j < n; ++j) {
          o[j] = std::exp(o[j] - mx);
          sum += o[j];
        }
        const T inv = T(1) / sum;
        for (int64_t j = 0; j < n; ++j) o[j] = k && !k[j] ? T(0) : o[j] * inv;
      }
    });
  });
  return record(y, "masked_softmax", {&s0}, [&] {
    // y is already 0 where masked, so dy's masked entries drop out of sum(dy * y) and dx = 0 there.
    return [y = y.detach(), keep, scale](const Tensor& g0, GradList& gi) {
      Tensor g = g0.contiguous();
      gi[0] = make_tensor(y.shape(), y.dtype());
      const int64_t n = y.shape().back(), rows = n ? y.numel() / n : 0;
      NABLA_DISPATCH_FLOAT(y.dtype(), T, {
        const T* yp = y.data<T>();
        const T* gp = g.data<T>();
        const uint8_t* kp = keep.defined() ? keep.data<uint8_t>() : nullptr;
        T* op = gi[0].data<T>();
        const T sc = T(scale);
        parallel_for(0, rows, n * 4, [&](int64_t b, int64_t e) {
          for (int64_t r = b; r < e; ++r) {
            const T* yr = yp + r * n;
            const T* gr = gp + r * n;
            T dot = 0;
            for (int64_t j = 0; j < n; ++j) dot += gr[j] * yr[j];
            T* o = op + r * n;
            for (int64_t j = 0; j < n; ++j) o[j] = sc * yr[j] * (gr[j] - dot);
            if (kp)
              for (int64_t j = 0; j < n; ++j) o[j] = kp[r * n + j] ? o[j] : T(0);
          }
        });
      });
    };
  });
}

}  // namespace nabla
