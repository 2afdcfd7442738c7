#include "nabla/ops/conv.h"

#include "nabla/kernels/elementwise.h"
#include "nabla/ops/conv_grads.h"

namespace nabla {

using autograd::GradList;
using autograd::record;

namespace detail {

kernels::Conv2DGeometry conv2d_geometry(const Shape& in, const Shape& k, const Conv2DArgs& a,
                                        const std::string& who) {
  NABLA_CHECK_SHAPE(in.size() == 4, who, ": expects an input of rank 4 (batch, height, width, channels), got shape ",
                    in.str());
  NABLA_CHECK_SHAPE(k.size() == 4, who, ": expects a kernel of rank 4 (kh, kw, in_channels, filters), got shape ",
                    k.str());
  NABLA_CHECK_SHAPE(in[3] == k[2], who, ": input of shape ", in.str(), " has ", in[3],
                    " channels but the kernel of shape ", k.str(), " expects ", k[2]);
  NABLA_CHECK(a.strides[0] > 0 && a.strides[1] > 0 && a.dilation[0] > 0 && a.dilation[1] > 0, who,
              ": strides and dilation must be positive, got strides (", a.strides[0], ", ", a.strides[1],
              ") and dilation (", a.dilation[0], ", ", a.dilation[1], ")");
  // Keras (TensorFlow) rejects strides > 1 combined with dilation > 1.
  NABLA_CHECK((a.strides[0] == 1 && a.strides[1] == 1) || (a.dilation[0] == 1 && a.dilation[1] == 1), who,
              ": strides > 1 cannot be combined with dilation_rate > 1");
  kernels::Conv2DGeometry g;
  g.n = in[0], g.h = in[1], g.w = in[2], g.c = in[3];
  g.kh = k[0], g.kw = k[1], g.o = k[3];
  g.sh = a.strides[0], g.sw = a.strides[1], g.dh = a.dilation[0], g.dw = a.dilation[1];
  Window1D wy = window_1d(g.h, g.kh, g.sh, g.dh, a.padding), wx = window_1d(g.w, g.kw, g.sw, g.dw, a.padding);
  NABLA_CHECK_SHAPE(wy.out > 0 && wx.out > 0, who, ": input of shape ", in.str(), " is smaller than the (dilated) ",
                    g.kh, "x", g.kw, " window of kernel shape ", k.str(), " with padding \"valid\"");
  g.oh = wy.out, g.ow = wx.out;
  g.pad_t = wy.pad_before, g.pad_b = wy.pad_after, g.pad_l = wx.pad_before, g.pad_r = wx.pad_after;
  return g;
}

void conv2d_grads(const Tensor& x, const Tensor& w, const kernels::Conv2DGeometry& g, const Tensor& gy0,
                  const autograd::DeferredGrad* deferred, bool gx, bool gw, bool gb, GradList& gi) {
  // Only weight gradients from a gradient in compact form, which the kernel reads a few images at a time: dL/dy
  // is never written whole.
  const bool by_images =
      !gy0.defined() && deferred && !gx && kernels::conv2d_backward_weights_reads_images(g, deferred->dtype());
  Tensor gy;
  if (!by_images) gy = gy0.defined() ? gy0.contiguous() : deferred->materialize();
  if (gx) {
    gi[0] = make_tensor(Shape{g.n, g.h, g.w, g.c}, w.dtype());  // x is kept only for weight gradients
    kernels::conv2d_backward_data(gy, w, gi[0], g);
  }
  if (gw || gb) {
    Tensor dw = make_tensor(w.shape(), w.dtype());
    Tensor db = gb ? make_tensor(Shape{g.o}, w.dtype()) : Tensor();
    if (by_images) {
      auto write_gy = [deferred](int64_t first, int64_t count, void* dst) {
        deferred->write_items(first, first + count, dst);
      };
      kernels::conv2d_backward_weights_from_images(x, write_gy, dw, gb ? &db : nullptr, g);
    } else {
      kernels::conv2d_backward_weights(x, gy, dw, gb ? &db : nullptr, g);
    }
    if (gw) gi[1] = dw;
    if (gb) gi[2] = db;
  }
}

}  // namespace detail

Shape conv2d_output_shape(const Shape& input, const Shape& kernel, const Conv2DArgs& args, const std::string& who) {
  kernels::Conv2DGeometry g = detail::conv2d_geometry(input, kernel, args, who);
  return Shape{input[0], g.oh, g.ow, g.o};
}

Tensor conv2d(const Tensor& x0, const Tensor& w0, const Tensor& b0, const Conv2DArgs& args) {
  kernels::Conv2DGeometry g = detail::conv2d_geometry(x0.shape(), w0.shape(), args, "conv2d");
  NABLA_CHECK(x0.dtype() == w0.dtype() && (!b0.defined() || b0.dtype() == w0.dtype()), "conv2d: input dtype ",
              dtype_name(x0.dtype()), " differs from kernel dtype ", dtype_name(w0.dtype()),
              " (convert the input with .to(f32))");
  NABLA_CHECK(is_floating(x0.dtype()), "conv2d: expects floating tensors, got ", dtype_name(x0.dtype()));
  NABLA_CHECK_SHAPE(!b0.defined() || (b0.dim() == 1 && b0.size(0) == g.o), "conv2d: bias of shape ",
                    b0.defined() ? b0.shape().str() : "", " does not match kernel of shape ", w0.shape().str());
  Tensor x = x0.contiguous(), w = w0.contiguous(), b = b0.defined() ? b0.contiguous() : Tensor();
  bool relu = args.activation == FusedActivation::relu;
  Tensor y = make_tensor(Shape{g.n, g.oh, g.ow, g.o}, x.dtype());
  kernels::conv2d_forward(x, w, b, y, g, args.activation);
  Tensor out = record(y, relu ? "conv2d_relu" : "conv2d", {&x0, &w0, &b0}, [&] {
    return [x = w0.requires_grad() || (b0.defined() && b0.requires_grad()) ? x.detach() : Tensor(), w = w.detach(),
            yr = relu ? y.detach() : Tensor(), g, gx = x0.requires_grad(), gw = w0.requires_grad(),
            gb = b0.defined() && b0.requires_grad()](const Tensor& g0, GradList& gi) {
      const autograd::DeferredGrad* deferred = autograd::deferred_grad();
      const bool mask = yr.defined() && !autograd::relu_already_applied();
      Tensor gy;  // undefined: conv2d_grads reads the deferred gradient
      if (mask)
        gy = kernels::relu_grad(deferred ? deferred->materialize() : g0, yr);
      else if (!deferred)
        gy = g0;
      detail::conv2d_grads(x, w, g, gy, deferred, gx, gw, gb, gi);
    };
  });
  // A first layer (no input gradient) whose weight gradient reads dL/dy by images takes it in compact form from
  // its consumer (max pooling: autograd/deferred_grad.h).
  if (!x0.requires_grad() && kernels::conv2d_backward_weights_reads_images(g, x.dtype()))
    out = autograd::takes_deferred_grad(out);
  return relu ? autograd::relu_output(out) : out;
}

Tensor conv2d(const Tensor& x, const Tensor& kernel, const Tensor& bias, std::array<int64_t, 2> strides,
              const std::string& padding, std::array<int64_t, 2> dilation) {
  return conv2d(x, kernel, bias, Conv2DArgs{strides, parse_padding(padding, "conv2d"), dilation});
}

}  // namespace nabla
