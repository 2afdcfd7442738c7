#include "nabla/kernels/conv.h"

#include <array>
#include <atomic>
#include <cstring>
#include <unordered_map>

#include "nabla/kernels/dnnl_context.h"
#include "nabla/kernels/gemm.h"

namespace nabla::kernels {
namespace {

// ---------------------------------------------------------------------------------------------------------------
// im2col + GEMM (float64). cols is [n*oh*ow, kh*kw*c], whose column order matches the HWIO kernel seen as a
// [kh*kw*c, o] matrix, so the convolution is one GEMM each way.

template <class T>
Tensor im2col(const Tensor& x, const Conv2DGeometry& g) {
  int64_t k = g.kh * g.kw * g.c;
  Tensor cols = make_tensor(Shape{g.n * g.oh * g.ow, k}, x.dtype());
  const T* xp = x.data<T>();
  T* cp = cols.data<T>();
  for (int64_t b = 0; b < g.n; ++b)
    for (int64_t oy = 0; oy < g.oh; ++oy)
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        T* row = cp + ((b * g.oh + oy) * g.ow + ox) * k;
        for (int64_t ky = 0; ky < g.kh; ++ky) {
          int64_t iy = oy * g.sh - g.pad_t + ky * g.dh;
          for (int64_t kx = 0; kx < g.kw; ++kx) {
            int64_t ix = ox * g.sw - g.pad_l + kx * g.dw;
            T* dst = row + (ky * g.kw + kx) * g.c;
            if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w)
              std::memset(dst, 0, size_t(g.c) * sizeof(T));
            else
              std::memcpy(dst, xp + ((b * g.h + iy) * g.w + ix) * g.c, size_t(g.c) * sizeof(T));
          }
        }
      }
  return cols;
}

// The adjoint of im2col: scatter-adds the columns back into an input-shaped gradient.
template <class T>
void col2im(const Tensor& cols, Tensor& gx, const Conv2DGeometry& g) {
  int64_t k = g.kh * g.kw * g.c;
  gx.fill_(0);
  const T* cp = cols.data<T>();
  T* gp = gx.data<T>();
  for (int64_t b = 0; b < g.n; ++b)
    for (int64_t oy = 0; oy < g.oh; ++oy)
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        const T* row = cp + ((b * g.oh + oy) * g.ow + ox) * k;
        for (int64_t ky = 0; ky < g.kh; ++ky) {
          int64_t iy = oy * g.sh - g.pad_t + ky * g.dh;
          if (iy < 0 || iy >= g.h) continue;
          for (int64_t kx = 0; kx < g.kw; ++kx) {
            int64_t ix = ox * g.sw - g.pad_l + kx * g.dw;
            if (ix < 0 || ix >= g.w) continue;
            const T* src = row + (ky * g.kw + kx) * g.c;
            T* dst = gp + ((b * g.h + iy) * g.w + ix) * g.c;
            for (int64_t ch = 0; ch < g.c; ++ch) dst[ch] += src[ch];
          }
        }
      }
}

Tensor as_matrix(const Tensor& t, int64_t rows, int64_t cols) {
  return make_view(t, Shape{rows, cols}, Shape{cols, 1}, t.offset());
}

template <class T>
void forward_im2col(const Tensor& x, const Tensor& w, const Tensor& b, Tensor& y, const Conv2DGeometry& g,
                    bool relu) {
  int64_t m = g.n * g.oh * g.ow, k = g.kh * g.kw * g.c;
  Tensor cols = im2col<T>(x, g);
  Tensor ym = as_matrix(y, m, g.o);
  gemm(cols, false, as_matrix(w, k, g.o), false, ym);
  T* yp = y.data<T>();
  const T* bp = b.defined() ? b.data<T>() : nullptr;
  for (int64_t r = 0; r < m; ++r)
    for (int64_t j = 0; j < g.o; ++j) {
      T v = yp[r * g.o + j] + (bp ? bp[j] : T(0));
      yp[r * g.o + j] = relu && v < T(0) ? T(0) : v;
    }
}

// ---------------------------------------------------------------------------------------------------------------
// oneDNN (float32). Memories use Keras's layouts directly (nhwc / hwio), which oneDNN's jit kernels take
// without reorders; primitives are created once per (geometry, threads) and their memories rebound per call.

using Key = std::array<int64_t, 20>;
struct KeyHash {
  size_t operator()(const Key& k) const {
    size_t h = 1469598103934665603ull;
    for (int64_t v : k) h = (h ^ size_t(v)) * 1099511628211ull;
    return h;
  }
};
struct Entry {
  dnnl::primitive prim;
  std::unordered_map<int, dnnl::memory> args;
};
enum Kind { kForward = 0, kBackwardData = 1, kBackwardWeights = 2 };

std::atomic<int64_t> g_created{0};

Key make_key(const Conv2DGeometry& g, int kind, int flags, int threads) {
  return {g.n, g.h, g.w, g.c, g.kh, g.kw, g.o, g.sh, g.sw, g.dh, g.dw, g.pad_t, g.pad_l, g.pad_b, g.pad_r, g.oh,
          g.ow, kind, flags, threads};
}

int conv_threads(const Conv2DGeometry& g) {
  return gemm_threads(g.n * g.oh * g.ow, g.o, g.kh * g.kw * g.c);
}

struct Descs {
  dnnl::memory::desc src, wei, bias, dst;
  dnnl::memory::dims strides, dilates, pad_l, pad_r;
};
Descs descs(const Conv2DGeometry& g, bool bias) {
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  using md = dnnl::memory::desc;
  return {md({g.n, g.c, g.h, g.w}, dt::f32, tag::nhwc),
          md({g.o, g.c, g.kh, g.kw}, dt::f32, tag::hwio),
          bias ? md({g.o}, dt::f32, tag::x) : md(),
          md({g.n, g.o, g.oh, g.ow}, dt::f32, tag::nhwc),
          {g.sh, g.sw},
          {g.dh - 1, g.dw - 1},
          {g.pad_t, g.pad_l},
          {g.pad_b, g.pad_r}};
}

dnnl::convolution_forward::primitive_desc forward_pd(const Descs& d, bool bias, bool relu) {
  using namespace dnnl;
  auto desc = bias ? convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, d.src,
                                               d.wei, d.bias, d.dst, d.strides, d.dilates, d.pad_l, d.pad_r)
                   : convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, d.src,
                                               d.wei, d.dst, d.strides, d.dilates, d.pad_l, d.pad_r);
  post_ops po;
  if (relu) po.append_eltwise(1.0f, algorithm::eltwise_relu, 0.0f, 0.0f);
  primitive_attr attr;
  attr.set_post_ops(po);
  return convolution_forward::primitive_desc(desc, attr, dnnl_engine());
}

Entry& lookup(const Conv2DGeometry& g, Kind kind, bool bias, bool relu, int threads) {
  thread_local std::unordered_map<Key, Entry, KeyHash> cache;
  Key key = make_key(g, kind, (bias ? 1 : 0) | (relu ? 2 : 0), threads);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  using namespace dnnl;
  auto& eng = dnnl_engine();
  DnnlThreads scope(threads);
  Descs d = descs(g, bias);
  auto mem = [&](const memory::desc& m) { return memory(m, eng, nullptr); };
  Entry e;
  if (kind == kForward) {
    auto pd = forward_pd(d, bias, relu);
    e.prim = convolution_forward(pd);
    e.args = {{DNNL_ARG_SRC, mem(d.src)}, {DNNL_ARG_WEIGHTS, mem(d.wei)}, {DNNL_ARG_DST, mem(d.dst)}};
    if (bias) e.args.emplace(DNNL_ARG_BIAS, mem(d.bias));
  } else if (kind == kBackwardData) {
    auto hint = forward_pd(d, false, false);
    convolution_backward_data::desc desc(algorithm::convolution_direct, d.src, d.wei, d.dst, d.strides, d.dilates,
                                         d.pad_l, d.pad_r);
    convolution_backward_data::primitive_desc pd(desc, eng, hint);
    e.prim = convolution_backward_data(pd);
    e.args = {{DNNL_ARG_DIFF_SRC, mem(d.src)}, {DNNL_ARG_WEIGHTS, mem(d.wei)}, {DNNL_ARG_DIFF_DST, mem(d.dst)}};
  } else {
    auto hint = forward_pd(d, bias, false);
    auto desc = bias ? convolution_backward_weights::desc(algorithm::convolution_direct, d.src, d.wei, d.bias, d.dst,
                                                          d.strides, d.dilates, d.pad_l, d.pad_r)
                     : convolution_backward_weights::desc(algorithm::convolution_direct, d.src, d.wei, d.dst,
                                                          d.strides, d.dilates, d.pad_l, d.pad_r);
    convolution_backward_weights::primitive_desc pd(desc, eng, hint);
    e.prim = convolution_backward_weights(pd);
    e.args = {{DNNL_ARG_SRC, mem(d.src)}, {DNNL_ARG_DIFF_WEIGHTS, mem(d.wei)}, {DNNL_ARG_DIFF_DST, mem(d.dst)}};
    if (bias) e.args.emplace(DNNL_ARG_DIFF_BIAS, mem(d.bias));
  }
  g_created++;
  return cache.emplace(key, std::move(e)).first->second;
}

void bind(Entry& e, int arg, const Tensor& t) {
  e.args.at(arg).set_data_handle(const_cast<void*>(t.raw_data()));
}
void run(Entry& e, int threads) {
  DnnlThreads scope(threads);
  e.prim.execute(dnnl_stream(), e.args);
}

void check_f32(const char* what, std::initializer_list<const Tensor*> ts) {
  for (const Tensor* t : ts)
    NABLA_CHECK(!t || !t->defined() || (t->is_contiguous() && t->dtype() == f32), what, ": expected contiguous float32");
}

}  // namespace

int64_t conv_primitives_created() { return g_created.load(); }

void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, Tensor& y, const Conv2DGeometry& g,
                    bool relu) {
  if (y.numel() == 0) return;
  if (x.dtype() == f64) {
    forward_im2col<double>(x, w, b, y, g, relu);
    return;
  }
  check_f32("conv2d_forward", {&x, &w, &b, &y});
  int nt = conv_threads(g);
  Entry& e = lookup(g, kForward, b.defined(), relu, nt);
  bind(e, DNNL_ARG_SRC, x);
  bind(e, DNNL_ARG_WEIGHTS, w);
  bind(e, DNNL_ARG_DST, y);
  if (b.defined()) bind(e, DNNL_ARG_BIAS, b);
  run(e, nt);
}

void conv2d_backward_data(const Tensor& gy, const Tensor& w, Tensor& gx, const Conv2DGeometry& g) {
  if (gx.numel() == 0) return;
  if (gy.numel() == 0) {
    gx.fill_(0);
    return;
  }
  if (gy.dtype() == f64) {
    int64_t m = g.n * g.oh * g.ow, k = g.kh * g.kw * g.c;
    Tensor cols = make_tensor(Shape{m, k}, f64);
    gemm(as_matrix(gy, m, g.o), false, as_matrix(w, k, g.o), true, cols);
    col2im<double>(cols, gx, g);
    return;
  }
  check_f32("conv2d_backward_data", {&gy, &w, &gx});
  int nt = conv_threads(g);
  Entry& e = lookup(g, kBackwardData, false, false, nt);
  bind(e, DNNL_ARG_DIFF_DST, gy);
  bind(e, DNNL_ARG_WEIGHTS, w);
  bind(e, DNNL_ARG_DIFF_SRC, gx);
  run(e, nt);
}

void conv2d_backward_weights(const Tensor& x, const Tensor& gy, Tensor& gw, Tensor* gb, const Conv2DGeometry& g) {
  if (gy.numel() == 0) {
    gw.fill_(0);
    if (gb) gb->fill_(0);
    return;
  }
  if (x.dtype() == f64) {
    int64_t m = g.n * g.oh * g.ow, k = g.kh * g.kw * g.c;
    Tensor cols = im2col<double>(x, g);
    Tensor gwm = as_matrix(gw, k, g.o);
    gemm(cols, true, as_matrix(gy, m, g.o), false, gwm);
    if (gb) {
      gb->fill_(0);
      double* bp = gb->data<double>();
      const double* gp = gy.data<double>();
      for (int64_t r = 0; r < m; ++r)
        for (int64_t j = 0; j < g.o; ++j) bp[j] += gp[r * g.o + j];
    }
    return;
  }
  check_f32("conv2d_backward_weights", {&x, &gy, &gw, gb});
  int nt = conv_threads(g);
  Entry& e = lookup(g, kBackwardWeights, gb != nullptr, false, nt);
  bind(e, DNNL_ARG_SRC, x);
  bind(e, DNNL_ARG_DIFF_DST, gy);
  bind(e, DNNL_ARG_DIFF_WEIGHTS, gw);
  if (gb) bind(e, DNNL_ARG_DIFF_BIAS, *gb);
  run(e, nt);
}

}  // namespace nabla::kernels
