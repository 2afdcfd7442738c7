#include "nabla/ops/reduce.h"

#include <algorithm>

#include "nabla/autograd/node.h"
#include "nabla/kernels/elementwise.h"
#include "nabla/kernels/reduce.h"
#include "nabla/ops/math.h"
#include "nabla/ops/shape_ops.h"

namespace nabla {

using autograd::GradList;
using autograd::record;

namespace {

std::vector<int> normalise(const Tensor& x, const std::vector<int>& axes) {
  std::vector<int> r;
  if (axes.empty()) {
    for (int i = 0; i < x.dim(); ++i) r.push_back(i);
  } else {
    for (int a : axes) r.push_back(x.shape().axis(a));
  }
  std::sort(r.begin(), r.end());
  r.erase(std::unique(r.begin(), r.end()), r.end());
  return r;
}

Shape kept_shape(const Shape& s, const std::vector<int>& axes) {
  Shape k = s;
  for (int a : axes) k[a] = 1;
  return k;
}
Shape dropped_shape(const Shape& s, const std::vector<int>& axes) {
  Shape d;
  for (int i = 0; i < s.size(); ++i)
    if (std::find(axes.begin(), axes.end(), i) == axes.end()) d.push_back(s[i]);
  return d;
}

// Broadcasts g (reduced over axes, with or without kept dims) back to shape s.
Tensor expand_back(const Tensor& g, const Shape& s, const std::vector<int>& axes) {
  Tensor gk = g.contiguous();
  gk = make_view(gk, kept_shape(s, axes), contiguous_strides(kept_shape(s, axes)), gk.offset());
  Tensor out = make_tensor(s, g.dtype());
  out.copy_(make_view(gk, s, broadcast_strides(gk.shape(), gk.strides(), s), gk.offset()));
  return out;
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<int>& axes0, bool keepdims) {
  std::vector<int> axes = normalise(x, axes0);
  Tensor r;
  if (int(axes.size()) == x.dim()) {
    r = kernels::reduce_all(x, kernels::ReduceOp::sum);
    if (keepdims) r = make_view(r, kept_shape(x.shape(), axes), contiguous_strides(kept_shape(x.shape(), axes)), 0);
  } else {
    r = x;
    for (int a : axes) r = kernels::reduce_axis(r, a, kernels::ReduceOp::sum);
    Shape s = keepdims ? kept_shape(x.shape(), axes) : dropped_shape(x.shape(), axes);
    r = make_view(r, s, contiguous_strides(s), r.offset());
  }
  return record(r, "sum", {&x}, [&] {
    return [in_shape = x.shape(), axes](const Tensor& g, GradList& gi) { gi[0] = expand_back(g, in_shape, axes); };
  });
}

Tensor mean(const Tensor& x, const std::vector<int>& axes0, bool keepdims) {
  std::vector<int> axes = normalise(x, axes0);
  int64_t count = 1;
  for (int a : axes) count *= x.shape()[a];
  Tensor s = sum(x, axes, keepdims);
  return s * (1.0 / double(std::max<int64_t>(count, 1)));
}

namespace {

Tensor extreme_all(const Tensor& x, kernels::ReduceOp op, const char* name) {
  NABLA_CHECK(x.numel() > 0, name, "() of an empty tensor of shape ", x.shape().str());
  Tensor r = kernels::reduce_all(x, op);
  return record(r, name, {&x}, [&] {
    return [x = x.detach(), r = r.detach()](const Tensor& g, GradList& gi) {
      // d/dx_i = g / k for the k elements equal to the result, 0 elsewhere (PyTorch's evenly_distribute_backward).
      Tensor xc = x.contiguous();
      Tensor out = Tensor::zeros(x.shape(), x.dtype());
      NABLA_DISPATCH_FLOAT(x.dtype(), T, {
        const T* xp = xc.data<T>();
        const T v = *r.data<T>();
        int64_t k = 0;
        for (int64_t i = 0, n = xc.numel(); i < n; ++i) k += xp[i] == v;
        const T share = k ? T(g.item() / double(k)) : T(0);
        T* o = out.data<T>();
        for (int64_t i = 0, n = xc.numel(); i < n; ++i) o[i] = xp[i] == v ? share : T(0);
      });
      gi[0] = out;
    };
  });
}

Tensor extreme_axis(const Tensor& x, int axis, bool keepdims, kernels::ReduceOp op, const char* name) {
  axis = x.shape().axis(axis);
  Tensor r = kernels::reduce_axis(x, axis, op);
  Shape s = keepdims ? r.shape() : dropped_shape(x.shape(), {axis});
  r = make_view(r, s, contiguous_strides(s), r.offset());
  return record(r, name, {&x}, [&] {
    return [x = x.detach(), axis, op](const Tensor& g, GradList& gi) {
      Tensor idx = kernels::arg_reduce_axis(x, axis, op).contiguous();
      Tensor out = Tensor::zeros(x.shape(), x.dtype());
      Tensor gc = g.contiguous();
      int64_t outer = 1, n = x.shape()[axis], inner = 1;
      for (int i = 0; i < axis; ++i) outer *= x.shape()[i];
      for (int i = axis + 1; i < x.dim(); ++i) inner *= x.shape()[i];
      const int64_t* ip = idx.data<int64_t>();
      NABLA_DISPATCH_FLOAT(x.dtype(), T, {
        T* dst = out.data<T>();
        const T* gp = gc.data<T>();
        for (int64_t o = 0; o < outer; ++o)
          for (int64_t j = 0; j < inner; ++j) dst[(o * n + ip[o * inner + j]) * inner + j] = gp[o * inner + j];
      });
      gi[0] = out;
    };
  });
}

Tensor arg_all(const Tensor& x, kernels::ReduceOp op, const char* name) {
  NABLA_CHECK(x.numel() > 0, name, "() of an empty tensor of shape ", x.shape().str());
  Tensor flat = x.contiguous();
  flat = make_view(flat, Shape{flat.numel()}, Shape{1}, flat.offset());
  Tensor r = kernels::arg_reduce_axis(flat, 0, op);
  return make_view(r, Shape{}, Shape{}, r.offset());
}

Tensor arg_axis(const Tensor& x, int axis, bool keepdims, kernels::ReduceOp op) {
  axis = x.shape().axis(axis);
  Tensor r = kernels::arg_reduce_axis(x, axis, op);
  Shape s = keepdims ? r.shape() : dropped_shape(x.shape(), {axis});
  return make_view(r, s, contiguous_strides(s), r.offset());
}

}  // namespace

Tensor max(const Tensor& x) { return extreme_all(x, kernels::ReduceOp::max, "max"); }
Tensor min(const Tensor& x) { return extreme_all(x, kernels::ReduceOp::min, "min"); }
Tensor max(const Tensor& x, int axis, bool keepdims) {
  return extreme_axis(x, axis, keepdims, kernels::ReduceOp::max, "max");
}
Tensor min(const Tensor& x, int axis, bool keepdims) {
  return extreme_axis(x, axis, keepdims, kernels::ReduceOp::min, "min");
}
Tensor argmax(const Tensor& x) { return arg_all(x, kernels::ReduceOp::max, "argmax"); }
Tensor argmin(const Tensor& x) { return arg_all(x, kernels::ReduceOp::min, "argmin"); }
Tensor argmax(const Tensor& x, int axis, bool keepdims) { return arg_axis(x, axis, keepdims, kernels::ReduceOp::max); }
Tensor argmin(const Tensor& x, int axis, bool keepdims) { return arg_axis(x, axis, keepdims, kernels::ReduceOp::min); }

Tensor Tensor::sum() const { return nabla::sum(*this); }
Tensor Tensor::mean() const { return nabla::mean(*this); }
Tensor Tensor::max() const { return nabla::max(*this); }
Tensor Tensor::min() const { return nabla::min(*this); }
Tensor Tensor::argmax() const { return nabla::argmax(*this); }

}  // namespace nabla
