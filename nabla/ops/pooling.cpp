#include "nabla/ops/pooling.h"

#include <algorithm>

#include "nabla/autograd/node.h"
#include "nabla/core/parallel.h"

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

// Forward max pooling; when idx is given, also records for each output element the flat spatial offset
// (iy * w + ix) of its winner, which is all backward needs.
template <class T>
void max_forward(const T* xp, T* yp, int32_t* idx, const PoolGeometry& g) {
  parallel_for(0, g.n * g.oh, g.ow * g.ph * g.pw * g.c, [&](int64_t s, int64_t e) {
    for (int64_t r = s; r < e; ++r) {
      int64_t b = r / g.oh, oy = r % g.oh;
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        T* out = yp + (r * g.ow + ox) * g.c;
        int32_t* oi = idx ? idx + (r * g.ow + ox) * g.c : nullptr;
        int64_t ya = g.y0(oy), yb = g.y1(oy), xa = g.x0(ox), xb = g.x1(ox);
        const T* first = xp + ((b * g.h + ya) * g.w + xa) * g.c;
        for (int64_t ch = 0; ch < g.c; ++ch) out[ch] = first[ch];
        if (oi)
          for (int64_t ch = 0; ch < g.c; ++ch) oi[ch] = int32_t(ya * g.w + xa);
        for (int64_t iy = ya; iy < yb; ++iy)
          for (int64_t ix = xa; ix < xb; ++ix) {
            const T* in = xp + ((b * g.h + iy) * g.w + ix) * g.c;
            if (oi) {
              int32_t pos = int32_t(iy * g.w + ix);
              for (int64_t ch = 0; ch < g.c; ++ch) {
                bool win = in[ch] > out[ch];
                out[ch] = win ? in[ch] : out[ch];
                oi[ch] = win ? pos : oi[ch];
              }
            } else {
              for (int64_t ch = 0; ch < g.c; ++ch) out[ch] = in[ch] > out[ch] ? in[ch] : out[ch];
            }
          }
      }
    }
  });
}

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
    return [idx, g, dt = x.dtype()](const Tensor& g0, GradList& gi) {
      Tensor gy = g0.contiguous();
      Tensor gx = make_tensor(Shape{g.n, g.h, g.w, g.c}, dt);
      const int32_t* ip = idx.data<int32_t>();
      NABLA_DISPATCH_FLOAT(dt, T, {
        const T* gp = gy.data<T>();
        T* xp = gx.data<T>();
        int64_t per_out = g.oh * g.ow * g.c, per_in = g.h * g.w * g.c;
        parallel_for(0, g.n, per_out + per_in, [&](int64_t s, int64_t e) {
          std::fill(xp + s * per_in, xp + e * per_in, T(0));
          for (int64_t b = s; b < e; ++b)
            for (int64_t p = 0; p < g.oh * g.ow; ++p) {
              const T* go = gp + b * per_out + p * g.c;
              const int32_t* io = ip + b * per_out + p * g.c;
              T* gimg = xp + b * per_in;
              for (int64_t ch = 0; ch < g.c; ++ch) gimg[int64_t(io[ch]) * g.c + ch] += go[ch];
            }
        });
      });
      gi[0] = gx;
    };
  });
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
