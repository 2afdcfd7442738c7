#include "nabla/ops/pooling.h"

#include <algorithm>

#include "nabla/autograd/deferred_grad.h"
#include "nabla/autograd/node.h"
#include "nabla/core/cpu_isa.h"
#include "nabla/core/parallel.h"
#include "nabla/kernels/max_fold.h"

namespace nabla {

using autograd::GradList;
using autograd::record;

namespace {

// The pooling window over an NHWC input; loops below run over (image, output row) pairs, each output pixel's
// channels contiguous so the inner loops vectorize.
struct PoolGeometry {
  int64_t n, h, w, c, ph, pw, sh, sw, pad_t, pad_l, oh, ow;
  // The input rows / columns the window at output (oy, ox) covers, clipped to the image.
  int64_t y0(int64_t oy) const { return std::max<int64_t>(oy * sh - pad_t, 0); }
  int64_t y1(int64_t oy) const { return std::min<int64_t>(oy * sh - pad_t + ph, h); }
  int64_t x0(int64_t ox) const { return std::max<int64_t>(ox * sw - pad_l, 0); }
  int64_t x1(int64_t ox) const { return std::min<int64_t>(ox * sw - pad_l + pw, w); }
};

PoolGeometry pool_geometry(const Shape& in, const Pool2DArgs& a, const std::string& who) {
  NABLA_CHECK_SHAPE(in.size() == 4, who, ": expects an input of rank 4 (batch, height, width, channels), got shape ",
                    in.str());
  auto st = a.strides.value_or(a.pool_size);
  NABLA_CHECK(a.pool_size[0] > 0 && a.pool_size[1] > 0 && st[0] > 0 && st[1] > 0, who,
              ": pool_size and strides must be positive, got pool_size (", a.pool_size[0], ", ", a.pool_size[1],
              ") and strides (", st[0], ", ", st[1], ")");
  Window1D wy = window_1d(in[1], a.pool_size[0], st[0], 1, a.padding);
  Window1D wx = window_1d(in[2], a.pool_size[1], st[1], 1, a.padding);
  NABLA_CHECK_SHAPE(wy.out > 0 && wx.out > 0, who, ": input of shape ", in.str(), " is smaller than the ",
                    a.pool_size[0], "x", a.pool_size[1], " pool with padding \"valid\"");
  return {in[0], in[1], in[2], in[3], a.pool_size[0], a.pool_size[1], st[0], st[1], wy.pad_before, wx.pad_before,
          wy.out, wx.out};
}

void check_input(const Tensor& x, const char* who) {
  NABLA_CHECK(is_floating(x.dtype()), who, ": expects a floating input, got ", dtype_name(x.dtype()));
}

using kernels::fold_max;

// Forward max pooling over output rows [s, e) (an output row is (image, oy)); when idx is given, also records
// for each output element the flat spatial offset (iy * w + ix) of its winner, which is all backward needs.
// always_inline: the float32 instance must be compiled inside its AVX2 version (run_at_best_isa), not called from it.
template <class T>
__attribute__((always_inline)) inline void max_forward_rows(const T* xp, T* yp, int32_t* idx, const PoolGeometry& g, int64_t s, int64_t e) {
  for (int64_t r = s; r < e; ++r) {
    const int64_t b = r / g.oh, oy = r % g.oh, ya = g.y0(oy), yb = g.y1(oy);
    for (int64_t ox = 0; ox < g.ow; ++ox) {
      T* out = yp + (r * g.ow + ox) * g.c;
      int32_t* oi = idx ? idx + (r * g.ow + ox) * g.c : nullptr;
      const int64_t xa = g.x0(ox), xb = g.x1(ox);
      const T* first = xp + ((b * g.h + ya) * g.w + xa) * g.c;
      std::copy(first, first + g.c, out);
      if (oi) std::fill(oi, oi + g.c, int32_t(ya * g.w + xa));
      for (int64_t iy = ya; iy < yb; ++iy)
        for (int64_t ix = iy == ya ? xa + 1 : xa; ix < xb; ++ix) {
          const T* in = xp + ((b * g.h + iy) * g.w + ix) * g.c;
          if (oi)
            fold_max(in, out, oi, int32_t(iy * g.w + ix), g.c);
          else
            fold_max(in, out, g.c);
        }
    }
  }
}

// Every training step of a CNN runs this one: the float32 case runs as AVX2 where cpu_isa() allows.
void max_forward_rows_any(const float* xp, float* yp, int32_t* idx, const PoolGeometry& g, int64_t s, int64_t e) {
  run_at_best_isa<max_forward_rows<float>>(xp, yp, idx, g, s, e);
}
void max_forward_rows_any(const double* xp, double* yp, int32_t* idx, const PoolGeometry& g, int64_t s,
                          int64_t e) {
  max_forward_rows<double>(xp, yp, idx, g, s, e);
}

template <class T>
void max_forward(const T* xp, T* yp, int32_t* idx, const PoolGeometry& g) {
  parallel_for(0, g.n * g.oh, g.ow * g.ph * g.pw * g.c, [&](int64_t s, int64_t e) {
    max_forward_rows_any(xp, yp, idx, g, s, e);
  });
}

// The pooled gradient go, with kMask relu's mask from the pooled output my (0 where my <= 0, as relu_grad).
template <class T, bool kMask>
inline T masked(const T* __restrict go, const T* __restrict my, int64_t ch) {
  const T v = go[ch];  // read unconditionally, so that the select vectorizes
  if constexpr (kMask) return my[ch] > T(0) ? v : T(0);
  return v;
}

// gx = go where this pixel won its window, else 0.
template <class T, bool kMask>
inline void select_grad(const T* __restrict go, const T* __restrict my, const int32_t* __restrict io,
                        T* __restrict gx, int32_t pos, int64_t c) {
  for (int64_t ch = 0; ch < c; ++ch) {
    const T v = masked<T, kMask>(go, my, ch);
    gx[ch] = io[ch] == pos ? v : T(0);
  }
}

// Windows that tile the image (stride == pool size, no padding: the usual MaxPooling2D(2)) cover each input
// pixel at most once, so backward writes every input gradient exactly once, without a zero fill and scatter.
bool windows_tile(const PoolGeometry& g) {
  return g.sh == g.ph && g.sw == g.pw && g.pad_t == 0 && g.pad_l == 0;
}

// Max pooling's gradient for images [s, e), written to gx (image s's first element): each output's gradient goes
// to its window's winner; with kMask, masked first by relu's mask on the pooled output my (after a fused relu:
// one pass instead of relu_grad's and this one).
template <class T, bool kMask>
__attribute__((always_inline)) inline void max_backward_images(const T* gy, const T* my, const int32_t* idx, T* gx,
                                                               const PoolGeometry& g, int64_t s, int64_t e) {
  const int64_t per_out = g.oh * g.ow * g.c, per_in = g.h * g.w * g.c;
  if (!windows_tile(g)) {
    std::fill(gx, gx + (e - s) * per_in, T(0));
    for (int64_t b = s; b < e; ++b)
      for (int64_t p = 0; p < g.oh * g.ow; ++p) {
        const int64_t o = b * per_out + p * g.c;
        const int32_t* io = idx + o;
        const T* mo = kMask ? my + o : nullptr;  // my is null without the mask
        T* gimg = gx + (b - s) * per_in;
        for (int64_t ch = 0; ch < g.c; ++ch) gimg[int64_t(io[ch]) * g.c + ch] += masked<T, kMask>(gy + o, mo, ch);
      }
    return;
  }
  const int64_t covered_w = std::min(g.ow * g.pw, g.w);  // "same" padding may clip the last window
  for (int64_t b = s; b < e; ++b) {
    T* gimg = gx + (b - s) * per_in;
    for (int64_t iy = 0; iy < g.h; ++iy) {
      const int64_t oy = iy / g.ph;
      int64_t ix = 0;
      if (oy < g.oh) {
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          const int64_t o = ((b * g.oh + oy) * g.ow + ox) * g.c;
          for (; ix < std::min((ox + 1) * g.pw, covered_w); ++ix)
            select_grad<T, kMask>(gy + o, kMask ? my + o : nullptr, idx + o, gimg + (iy * g.w + ix) * g.c,
                                  int32_t(iy * g.w + ix), g.c);
        }
      }
      std::fill(gimg + (iy * g.w + ix) * g.c, gimg + (iy + 1) * g.w * g.c, T(0));  // pixels no window covers
    }
  }
}

void max_backward_images_any(const float* gy, const float* my, const int32_t* idx, float* gx, const PoolGeometry& g,
                             int64_t s, int64_t e) {
  if (my)
    run_at_best_isa<max_backward_images<float, true>>(gy, my, idx, gx, g, s, e);
  else
    run_at_best_isa<max_backward_images<float, false>>(gy, my, idx, gx, g, s, e);
}
void max_backward_images_any(const double* gy, const double* my, const int32_t* idx, double* gx,
                             const PoolGeometry& g, int64_t s, int64_t e) {
  if (my)
    max_backward_images<double, true>(gy, my, idx, gx, g, s, e);
  else
    max_backward_images<double, false>(gy, my, idx, gx, g, s, e);
}

// Max pooling's input gradient in compact form: the pooled gradient (masked by relu's mask on the pooled output
// mask_y when defined) and each output's winner, scattered image by image where the producer reads it (a
// convolution's weight gradient, see autograd/deferred_grad.h) or all at once (materialize).
class MaxPoolGrad final : public autograd::DeferredGrad {
 public:
  MaxPoolGrad(Tensor gy, Tensor mask_y, Tensor idx, const PoolGeometry& g)
      : DeferredGrad(Shape{g.n, g.h, g.w, g.c}, gy.dtype()), gy_(std::move(gy)), mask_y_(std::move(mask_y)),
        idx_(std::move(idx)), g_(g) {}
  void write_items(int64_t begin, int64_t end, void* dst) const override {
    NABLA_DISPATCH_FLOAT(dtype(), T,
                         max_backward_images_any(gy_.data<T>(), mask_y_.defined() ? mask_y_.data<T>() : nullptr,
                                                 idx_.data<int32_t>(), static_cast<T*>(dst), g_, begin, end));
  }

 private:
  Tensor gy_, mask_y_, idx_;
  PoolGeometry g_;
};

template <class T>
void avg_forward(const T* xp, T* yp, const PoolGeometry& g) {
  parallel_for(0, g.n * g.oh, g.ow * g.ph * g.pw * g.c, [&](int64_t s, int64_t e) {
    for (int64_t r = s; r < e; ++r) {
      int64_t b = r / g.oh, oy = r % g.oh;
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        T* out = yp + (r * g.ow + ox) * g.c;
        int64_t ya = g.y0(oy), yb = g.y1(oy), xa = g.x0(ox), xb = g.x1(ox);
        for (int64_t ch = 0; ch < g.c; ++ch) out[ch] = T(0);
        for (int64_t iy = ya; iy < yb; ++iy)
          for (int64_t ix = xa; ix < xb; ++ix) {
            const T* in = xp + ((b * g.h + iy) * g.w + ix) * g.c;
            for (int64_t ch = 0; ch < g.c; ++ch) out[ch] += in[ch];
          }
        T inv = T(1) / T((yb - ya) * (xb - xa));
        for (int64_t ch = 0; ch < g.c; ++ch) out[ch] *= inv;
      }
    }
  });
}

template <class T>
void avg_backward(const T* gy, T* gx, const PoolGeometry& g) {
  // Parallel over images: windows of different images never overlap in gx.
  parallel_for(0, g.n, g.oh * g.ow * g.ph * g.pw * g.c, [&](int64_t s, int64_t e) {
    std::fill(gx + s * g.h * g.w * g.c, gx + e * g.h * g.w * g.c, T(0));
    for (int64_t b = s; b < e; ++b)
      for (int64_t oy = 0; oy < g.oh; ++oy)
        for (int64_t ox = 0; ox < g.ow; ++ox) {
          const T* go = gy + ((b * g.oh + oy) * g.ow + ox) * g.c;
          int64_t ya = g.y0(oy), yb = g.y1(oy), xa = g.x0(ox), xb = g.x1(ox);
          T inv = T(1) / T((yb - ya) * (xb - xa));
          for (int64_t iy = ya; iy < yb; ++iy)
            for (int64_t ix = xa; ix < xb; ++ix) {
              T* gi = gx + ((b * g.h + iy) * g.w + ix) * g.c;
              for (int64_t ch = 0; ch < g.c; ++ch) gi[ch] += go[ch] * inv;
            }
        }
  });
}

}  // namespace

Shape pool2d_output_shape(const Shape& input, const Pool2DArgs& args, const std::string& who) {
  PoolGeometry g = pool_geometry(input, args, who);
  return Shape{input[0], g.oh, g.ow, g.c};
}

Tensor max_pool2d(const Tensor& x0, const Pool2DArgs& args) {
  check_input(x0, "max_pool2d");
  PoolGeometry g = pool_geometry(x0.shape(), args, "max_pool2d");
  NABLA_CHECK(g.h * g.w <= INT32_MAX, "max_pool2d: images of ", g.h, "x", g.w, " are too large");
  Tensor x = x0.contiguous();
  Tensor y = make_tensor(Shape{g.n, g.oh, g.ow, g.c}, x.dtype());
  bool need_grad = autograd::any_requires_grad({&x0});
  Tensor idx = need_grad ? make_tensor(y.shape(), i32) : Tensor();
  if (y.numel())
    NABLA_DISPATCH_FLOAT(x.dtype(), T,
                         max_forward<T>(x.data<T>(), y.data<T>(), need_grad ? idx.data<int32_t>() : nullptr, g));
  return record(y, "max_pool2d", {&x0}, [&] {
    // After a fused relu (Conv2D(activation="relu") -> MaxPooling2D), relu's mask at each window's winner is the
    // pooled value's sign: masking the pooled gradient here (a quarter of the elements, in the scatter's pass)
    // gives the producer's masked gradient bit for bit, and the producer skips its full-size mask. Only then is
    // the output kept.
    const bool after_relu = x0.grad_fn() && x0.grad_fn()->relu_output;
    return [idx, y = after_relu ? y.detach() : Tensor(), g](const Tensor& g0, GradList& gi) {
      const bool fuse_relu = y.defined() && autograd::sole_relu_input(0);
      if (fuse_relu) autograd::relu_mask_applied(0);
      auto grad = std::make_shared<MaxPoolGrad>(g0.contiguous(), fuse_relu ? y : Tensor(), idx, g);
      if (autograd::can_defer_grad(0))
        autograd::defer_grad(0, std::move(grad));  // the producer writes it where it reads it
      else
        gi[0] = grad->materialize();
    };
  });
}

std::shared_ptr<autograd::DeferredGrad> max_pool2d_input_grad(Tensor gy, Tensor relu_y, Tensor idx,
                                                              const Shape& input_shape, const Pool2DArgs& args) {
  return std::make_shared<MaxPoolGrad>(std::move(gy), std::move(relu_y), std::move(idx),
                                       pool_geometry(input_shape, args, "max_pool2d"));
}

Tensor avg_pool2d(const Tensor& x0, const Pool2DArgs& args) {
  check_input(x0, "avg_pool2d");
  PoolGeometry g = pool_geometry(x0.shape(), args, "avg_pool2d");
  Tensor x = x0.contiguous();
  Tensor y = make_tensor(Shape{g.n, g.oh, g.ow, g.c}, x.dtype());
  if (y.numel()) NABLA_DISPATCH_FLOAT(x.dtype(), T, avg_forward<T>(x.data<T>(), y.data<T>(), g));
  return record(y, "avg_pool2d", {&x0}, [&] {
    return [g, dt = x.dtype()](const Tensor& g0, GradList& gi) {
      Tensor gy = g0.contiguous();
      Tensor gx = make_tensor(Shape{g.n, g.h, g.w, g.c}, dt);
      NABLA_DISPATCH_FLOAT(dt, T, avg_backward<T>(gy.data<T>(), gx.data<T>(), g));
      gi[0] = gx;
    };
  });
}

Tensor global_avg_pool2d(const Tensor& x0) {
  check_input(x0, "global_avg_pool2d");
  NABLA_CHECK_SHAPE(x0.dim() == 4, "global_avg_pool2d: expects an input of rank 4 (batch, height, width, channels), "
                    "got shape ", x0.shape().str());
  Tensor x = x0.contiguous();
  int64_t n = x.size(0), hw = x.size(1) * x.size(2), c = x.size(3);
  Tensor y = make_tensor(Shape{n, c}, x.dtype());
  NABLA_DISPATCH_FLOAT(x.dtype(), T, {
    const T* xp = x.data<T>();
    T* yp = y.data<T>();
    parallel_for(0, n, hw * c, [&](int64_t s, int64_t e) {
      for (int64_t b = s; b < e; ++b) {
        T* out = yp + b * c;
        for (int64_t ch = 0; ch < c; ++ch) out[ch] = T(0);
        for (int64_t p = 0; p < hw; ++p)
          for (int64_t ch = 0; ch < c; ++ch) out[ch] += xp[(b * hw + p) * c + ch];
        T inv = hw ? T(1) / T(hw) : T(0);
        for (int64_t ch = 0; ch < c; ++ch) out[ch] *= inv;
      }
    });
  });
  return record(y, "global_avg_pool2d", {&x0}, [&] {
    return [shape = x.shape()](const Tensor& g0, GradList& gi) {
      Tensor gy = g0.contiguous();
      Tensor gx = make_tensor(shape, gy.dtype());
      int64_t n = shape[0], hw = shape[1] * shape[2], c = shape[3];
      NABLA_DISPATCH_FLOAT(gy.dtype(), T, {
        const T* gp = gy.data<T>();
        T* xp = gx.data<T>();
        T inv = hw ? T(1) / T(hw) : T(0);
        parallel_for(0, n, hw * c, [&](int64_t s, int64_t e) {
          for (int64_t b = s; b < e; ++b)
            for (int64_t p = 0; p < hw; ++p)
              for (int64_t ch = 0; ch < c; ++ch) xp[(b * hw + p) * c + ch] = gp[b * c + ch] * inv;
        });
      });
      gi[0] = gx;
    };
  });
}

}  // namespace nabla
