#include "nabla/ops/linear.h"

#include "nabla/autograd/node.h"
#include "nabla/kernels/elementwise.h"
#include "nabla/kernels/gemm.h"

namespace nabla {

using autograd::GradList;
using autograd::record;

Tensor matmul(const Tensor& a, const Tensor& b) {
  NABLA_CHECK_SHAPE(a.dim() == 2 && b.dim() == 2 && a.size(1) == b.size(0), "matmul: shapes ", a.shape().str(),
                    " and ", b.shape().str(), " are not aligned");
  NABLA_CHECK(a.dtype() == b.dtype(), "matmul: dtypes ", dtype_name(a.dtype()), " and ", dtype_name(b.dtype()),
              " differ");
  Tensor out = make_tensor(Shape{a.size(0), b.size(1)}, a.dtype());
  kernels::gemm(a, false, b, false, out);
  return record(out, "matmul", {&a, &b}, [&] {
    return [a = a.detach(), b = b.detach(), ga = a.requires_grad(), gb = b.requires_grad()](const Tensor& g0,
                                                                                           GradList& gi) {
      Tensor g = g0.contiguous();
      if (ga) {
        gi[0] = make_tensor(a.shape(), a.dtype());
        kernels::gemm(g, false, b, true, gi[0]);
      }
      if (gb) {
        gi[1] = make_tensor(b.shape(), b.dtype());
        kernels::gemm(a, true, g, false, gi[1]);
      }
    };
  });
}

Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b, FusedActivation act) {
  NABLA_CHECK_SHAPE(x.dim() == 2 && w.dim() == 2 && x.size(1) == w.size(0), "linear: input of shape ",
                    x.shape().str(), " does not match kernel of shape ", w.shape().str());
  NABLA_CHECK_SHAPE(!b.defined() || (b.dim() == 1 && b.size(0) == w.size(1)), "linear: bias of shape ",
                    b.defined() ? b.shape().str() : "", " does not match kernel of shape ", w.shape().str());
  NABLA_CHECK(x.dtype() == w.dtype(), "linear: input dtype ", dtype_name(x.dtype()), " differs from kernel dtype ",
              dtype_name(w.dtype()), " (convert the input with .to(f32))");
  Tensor out = make_tensor(Shape{x.size(0), w.size(1)}, x.dtype());
  bool relu = act == FusedActivation::relu;
  if (x.dtype() == f32) {
    kernels::gemm(x, false, w, false, out, b.defined() ? b.contiguous() : Tensor(), act);
  } else {
    kernels::gemm(x, false, w, false, out);
    NABLA_DISPATCH_FLOAT(out.dtype(), T, {
      T* o = out.data<T>();
      Tensor bc = b.defined() ? b.contiguous() : Tensor();
      const T* bp = b.defined() ? bc.data<T>() : nullptr;
      int64_t m = out.size(1);
      for (int64_t i = 0; i < out.numel(); ++i) {
        T v = o[i] + (bp ? bp[i % m] : T(0));
        o[i] = relu && v < T(0) ? T(0) : v;
      }
    });
  }
  Tensor result = record(out, relu ? "linear_relu" : "linear", {&x, &w, &b}, [&] {
    return [x = x.detach(), w = w.detach(), y = relu ? out.detach() : Tensor(), gx = x.requires_grad(),
            gw = w.requires_grad(), gb = b.defined() && b.requires_grad()](const Tensor& g0, GradList& gi) {
      Tensor g = y.defined() && !autograd::relu_already_applied() ? kernels::relu_grad(g0, y) : g0.contiguous();
      if (gx) {
        gi[0] = make_tensor(x.shape(), x.dtype());
        kernels::gemm(g, false, w, true, gi[0]);
      }
      if (gw) {
        gi[1] = make_tensor(w.shape(), w.dtype());
        kernels::gemm(x, true, g, false, gi[1]);
      }
      if (gb) gi[2] = kernels::sum_to(g, Shape{w.size(1)});
    };
  });
  return relu ? autograd::relu_output(result) : result;
}

}  // namespace nabla
