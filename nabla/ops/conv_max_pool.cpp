#include "nabla/ops/conv_max_pool.h"

#include "nabla/ops/conv_grads.h"

namespace nabla {

namespace {

bool pool_is_2x2(const Pool2DArgs& p) {
  const std::array<int64_t, 2> two{2, 2};
  return p.pool_size == two && p.strides.value_or(two) == two && p.padding == Padding::valid;
}

}  // namespace

bool conv2d_relu_max_pool2d_applies(const Tensor& x, const Tensor& kernel, const Conv2DArgs& conv,
                                    const Pool2DArgs& pool) {
  if (autograd::op_observer() || conv.activation != FusedActivation::relu || !pool_is_2x2(pool)) return false;
  if (x.dtype() != f32 || kernel.dtype() != f32 || x.dim() != 4 || kernel.dim() != 4 || x.size(3) != kernel.size(2))
    return false;
  // Shapes that do not fit are conv2d's to refuse, with its message.
  try {
    return kernels::conv2d_relu_max_pool2x2_applies(
        detail::conv2d_geometry(x.shape(), kernel.shape(), conv, "conv2d_relu_max_pool2d"));
  } catch (const ShapeError&) {
    return false;
  }
}

Tensor conv2d_relu_max_pool2d(const Tensor& x0, const Tensor& w0, const Tensor& b0, const Conv2DArgs& conv,
                              const Pool2DArgs& pool) {
  NABLA_CHECK(conv2d_relu_max_pool2d_applies(x0, w0, conv, pool),
              "conv2d_relu_max_pool2d: not for these operands (see conv2d_relu_max_pool2d_applies)");
  const kernels::Conv2DGeometry g = detail::conv2d_geometry(x0.shape(), w0.shape(), conv, "conv2d_relu_max_pool2d");
  NABLA_CHECK(!b0.defined() || (b0.dtype() == f32 && b0.dim() == 1 && b0.size(0) == g.o),
              "conv2d_relu_max_pool2d: bias of shape ", b0.defined() ? b0.shape().str() : "",
              " does not match kernel of shape ", w0.shape().str());
  Tensor x = x0.contiguous(), w = w0.contiguous(), b = b0.defined() ? b0.contiguous() : Tensor();
  const Shape pooled_shape{g.n, g.oh / 2, g.ow / 2, g.o};
  Tensor y = make_tensor(pooled_shape, f32), idx = make_tensor(pooled_shape, i32);
  kernels::conv2d_relu_max_pool2x2(x, w, b, y, idx, g);
  return autograd::record(y, "conv2d_relu_max_pool2d", {&x0, &w0, &b0}, [&] {
    return [x = w0.requires_grad() || (b0.defined() && b0.requires_grad()) ? x.detach() : Tensor(), w = w.detach(),
            y = y.detach(), idx, g, pool, gx = x0.requires_grad(), gw = w0.requires_grad(),
            gb = b0.defined() && b0.requires_grad()](const Tensor& g0, autograd::GradList& gi) {
      // Max pooling's gradient masked by relu's (the pooled value's sign: relu's mask at each winner), handed to
      // the convolution's gradients as max_pool2d's backward hands it on to conv2d's.
      auto grad = max_pool2d_input_grad(g0.contiguous(), y, idx, Shape{g.n, g.oh, g.ow, g.o}, pool);
      detail::conv2d_grads(x, w, g, Tensor(), grad.get(), gx, gw, gb, gi);
    };
  });
}

}  // namespace nabla
