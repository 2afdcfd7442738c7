#include "nabla/kernels/conv.h"

#include <array>
#include <atomic>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>
#include <unordered_map>

#include "nabla/core/parallel.h"
#include "nabla/kernels/conv_few_channels.h"
#include "nabla/kernels/dnnl_context.h"
#include "nabla/kernels/gemm.h"

namespace nabla::kernels {
namespace {

enum Kind { kForward = 0, kBackwardData = 1, kBackwardWeights = 2 };

// ---------------------------------------------------------------------------------------------------------------
// im2col + GEMM. cols is [n*oh*ow, kh*kw*c], whose column order matches the HWIO kernel seen as a [kh*kw*c, o]
// matrix, so each pass is one GEMM (oneDNN matmul for float32, OpenBLAS for float64).

// Copies a short run element by element: im2col's runs are often a few floats (one pixel row of a 3-wide
// window on a 1-channel image), where a memcpy call costs more than the copy. GCC would turn the loop back into
// a memcpy call, hence the attribute.
template <class T>
__attribute__((optimize("no-tree-loop-distribute-patterns"), always_inline)) inline void copy_run(T* __restrict dst,
                                                                                  const T* __restrict src, int64_t n) {
  if (n >= 64) {
    std::memcpy(dst, src, size_t(n) * sizeof(T));
    return;
  }
  for (int64_t i = 0; i < n; ++i) dst[i] = src[i];
}

template <class T>
Tensor im2col(const Tensor& x, const Conv2DGeometry& g) {
  int64_t k = g.kh * g.kw * g.c;
  Tensor cols = make_tensor(Shape{g.n * g.oh * g.ow, k}, x.dtype());
  const T* xp = x.data<T>();
  T* cp = cols.data<T>();
  parallel_for(0, g.n * g.oh, g.ow * k, [&](int64_t s, int64_t e) {
    for (int64_t r = s; r < e; ++r) {
      int64_t b = r / g.oh, oy = r % g.oh;
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        T* row = cp + (r * g.ow + ox) * k;
        const int64_t ix0 = ox * g.sw - g.pad_l;
        // Undilated windows inside the image read kw pixels in a row: one run of kw * c elements per ky.
        const bool row_inside = g.dw == 1 && ix0 >= 0 && ix0 + g.kw <= g.w;
        for (int64_t ky = 0; ky < g.kh; ++ky) {
          int64_t iy = oy * g.sh - g.pad_t + ky * g.dh;
          T* dst = row + ky * g.kw * g.c;
          if (iy < 0 || iy >= g.h) {
            std::fill(dst, dst + g.kw * g.c, T(0));
            continue;
          }
          const T* src_row = xp + (b * g.h + iy) * g.w * g.c;
          if (row_inside) {
            copy_run(dst, src_row + ix0 * g.c, g.kw * g.c);
            continue;
          }
          for (int64_t kx = 0; kx < g.kw; ++kx) {
            int64_t ix = ix0 + kx * g.dw;
            if (ix < 0 || ix >= g.w)
              std::fill(dst + kx * g.c, dst + (kx + 1) * g.c, T(0));
            else
              copy_run(dst + kx * g.c, src_row + ix * g.c, g.c);
          }
        }
      }
    }
  });
  return cols;
}

// The adjoint of im2col: scatter-adds the columns back into an input-shaped gradient (parallel over images,
// whose windows never overlap each other).
template <class T>
void col2im(const Tensor& cols, Tensor& gx, const Conv2DGeometry& g) {
  int64_t k = g.kh * g.kw * g.c, img = g.h * g.w * g.c;
  const T* cp = cols.data<T>();
  T* gp = gx.data<T>();
  parallel_for(0, g.n, g.oh * g.ow * k, [&](int64_t s, int64_t e) {
    std::fill(gp + s * img, gp + e * img, T(0));
    for (int64_t b = s; b < e; ++b)
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
  });
}

Tensor as_matrix(const Tensor& t, int64_t rows, int64_t cols) {
  return make_view(t, Shape{rows, cols}, Shape{cols, 1}, t.offset());
}

template <class T>
void forward_im2col(const Tensor& x, const Tensor& w, const Tensor& b, Tensor& y, const Conv2DGeometry& g,
                    FusedActivation act) {
  int64_t m = g.n * g.oh * g.ow, k = g.kh * g.kw * g.c;
  Tensor cols = im2col<T>(x, g);
  Tensor ym = as_matrix(y, m, g.o);
  if constexpr (std::is_same_v<T, float>) {  // bias and relu fused into the GEMM
    gemm(cols, false, as_matrix(w, k, g.o), false, ym, b, act);
    return;
  }
  gemm(cols, false, as_matrix(w, k, g.o), false, ym);
  T* yp = y.data<T>();
  const T* bp = b.defined() ? b.data<T>() : nullptr;
  for (int64_t r = 0; r < m; ++r)
    for (int64_t j = 0; j < g.o; ++j) {
      T v = yp[r * g.o + j] + (bp ? bp[j] : T(0));
      yp[r * g.o + j] = act == FusedActivation::relu && v < T(0) ? T(0) : v;
    }
}

template <class T>
void backward_data_im2col(const Tensor& gy, const Tensor& w, Tensor& gx, const Conv2DGeometry& g) {
  int64_t m = g.n * g.oh * g.ow, k = g.kh * g.kw * g.c;
  Tensor cols = make_tensor(Shape{m, k}, gy.dtype());
  gemm(as_matrix(gy, m, g.o), false, as_matrix(w, k, g.o), true, cols);
  col2im<T>(cols, gx, g);
}

template <class T>
void backward_weights_im2col(const Tensor& x, const Tensor& gy, Tensor& gw, Tensor* gb, const Conv2DGeometry& g) {
  int64_t m = g.n * g.oh * g.ow, k = g.kh * g.kw * g.c;
  Tensor cols = im2col<T>(x, g);
  Tensor gwm = as_matrix(gw, k, g.o);
  gemm(cols, true, as_matrix(gy, m, g.o), false, gwm);
  if (gb) {
    // Column sums of gy [m, o]: blocks of rows summed in T (a loop over j that vectorizes), blocks added in double.
    std::vector<double> acc(size_t(g.o), 0.0);
    std::vector<T> block(size_t(g.o));
    const T* gp = gy.data<T>();
    for (int64_t r0 = 0; r0 < m; r0 += 64) {
      std::fill(block.begin(), block.end(), T(0));
      for (int64_t r = r0; r < std::min(m, r0 + 64); ++r)
        for (int64_t j = 0; j < g.o; ++j) block[size_t(j)] += gp[r * g.o + j];
      for (int64_t j = 0; j < g.o; ++j) acc[size_t(j)] += double(block[size_t(j)]);
    }
    T* bp = gb->data<T>();
    for (int64_t j = 0; j < g.o; ++j) bp[j] = T(acc[size_t(j)]);
  }
}

// Which float32 path a pass takes, and in which layout oneDNN works. Measured on the Fashion-MNIST CNN's two
// convolutions (batch 128, one thread, ms a step, oneDNN 2.6 on Zen 4 with its AVX-512 kernels / limited to AVX2
// by ONEDNN_MAX_CPU_ISA=AVX2; "blocked" includes the reorders from and to nhwc):
//   conv 1 (1 -> 32 channels, 28x28): forward blocked 1.65 / 1.8, nhwc 1.08 / 0.64; weight gradient im2col 1.5,
//     blocked 1.7 / 7.0, nhwc 1.14 / 2.24;
//   conv 2 (32 -> 64, 13x13): forward blocked 5.7 / 6.9, nhwc 5.6 / 7.3; data gradient blocked 6.1 / 8.2, nhwc
//     6.1 / 7.2; weight gradient im2col 10.0 (its copies alone 2.8), blocked 6.6 / 8.8, nhwc 6.8 / 8.4.
// A whole epoch at two threads (the step's passes overlap differently than one by one): blocked for the forward
// and data-gradient passes 7.57 s, nhwc for all 7.28 s (three runs each; AVX2: 9.47 vs 9.03). So every pass in
// nhwc, with no reorder of activations. Where oneDNN has no jit kernel for nhwc it runs its gemm-based
// convolution (seen on AVX2 for some backward shapes: 10-50x slower), so such a primitive is rebuilt blocked
// (see lookup).
// Winograd (the default, Path::winograd): oneDNN 2.6 has F(4x4, 3x3) Winograd kernels for AVX-512 that need
// fewer multiplications; on conv 2 at two threads the forward takes 1.29 ms against 2.6 direct and the weight
// gradient 1.45 against 3.1, reorders to and from the blocked layout they need (~0.7 ms) included in neither.
// Its data gradient is no faster (2.4 vs 2.6) and conv 1's single input channel is padded to 16 (2-3x slower),
// so only forward and weight-gradient passes whose channels come in blocks of 16 take it; every other pass,
// and every pass where oneDNN refuses (no AVX-512, other kernel sizes, strides, dilation), runs nhwc direct.
// Accuracy against float64 on conv 2 with inputs like the model's: rms relative error 3.1e-7 (output) and
// 3.4e-7 (weight gradient), direct 3.0e-7 and 5.3e-7. Epoch at two threads: 5.34 and 5.75 s vs 6.28 and 6.78
// nhwc direct (two alternating runs each). NABLA_CONV_IMPL or set_conv_impl() chooses one path for every pass,
// for measurements and tests.
enum class Path { im2col, blocked, nhwc, winograd };
Path path_named(const std::string& impl) {
  if (impl == "im2col") return Path::im2col;
  if (impl == "blocked") return Path::blocked;
  if (impl == "nhwc") return Path::nhwc;
  NABLA_CHECK_VALUE(impl.empty() || impl == "winograd", "NABLA_CONV_IMPL / set_conv_impl: unknown implementation '",
                    impl, "' (expected winograd, nhwc, blocked or im2col)");
  return Path::winograd;
}
std::atomic<Path>& chosen_path() {
  static std::atomic<Path> p{path_named(std::getenv("NABLA_CONV_IMPL") ? std::getenv("NABLA_CONV_IMPL") : "")};
  return p;
}
Path conv_path() { return chosen_path().load(std::memory_order_relaxed); }

// ---------------------------------------------------------------------------------------------------------------
// oneDNN (float32). Tensors stay in Keras's layouts (nhwc / hwio); a primitive works either on them directly
// (Path::nhwc) or in the blocked layouts it chooses (format "any"), with reorders to and from them (see
// conv_path; Winograd always works blocked). Weights are always left to oneDNN's choice (their reorders are
// small). Primitives, reorders and the blocked buffers are created once per (geometry, path, threads); tensors
// are rebound per call.

using Key = std::array<int64_t, 20>;
struct KeyHash {
  size_t operator()(const Key& k) const {
    size_t h = 1469598103934665603ull;
    for (int64_t v : k) h = (h ^ size_t(v)) * 1099511628211ull;
    return h;
  }
};
// One primitive argument: the user's memory (over a tensor) and, when the primitive wants another layout, its
// own buffer in that layout plus the reorder between the two.
struct Slot {
  int arg;
  bool output;
  dnnl::memory user, inner;
  dnnl::reorder reorder;
};
struct Entry {
  dnnl::primitive prim;
  bool slow = false;  // oneDNN's gemm-based or reference implementation
  std::vector<Slot> slots;
  std::unordered_map<int, dnnl::memory> args;
};

std::atomic<int64_t> g_created{0}, g_winograd{0};

Key make_key(const Conv2DGeometry& g, int kind, int flags, int threads) {
  return {g.n, g.h, g.w, g.c, g.kh, g.kw, g.o, g.sh, g.sw, g.dh, g.dw, g.pad_t, g.pad_l, g.pad_b, g.pad_r, g.oh,
          g.ow, kind, flags, threads};
}

int conv_threads(const Conv2DGeometry& g) {
  return gemm_threads(g.n * g.oh * g.ow, g.o, g.kh * g.kw * g.c);
}

struct Descs {
  dnnl::memory::desc src, wei, bias, dst;          // the user's layouts
  dnnl::memory::desc any_src, any_wei, any_dst;    // "let oneDNN choose"
  dnnl::memory::dims strides, dilates, pad_l, pad_r;
};
Descs descs(const Conv2DGeometry& g, bool bias) {
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  using md = dnnl::memory::desc;
  dnnl::memory::dims src{g.n, g.c, g.h, g.w}, wei{g.o, g.c, g.kh, g.kw}, dst{g.n, g.o, g.oh, g.ow};
  return {md(src, dt::f32, tag::nhwc),
          md(wei, dt::f32, tag::hwio),
          bias ? md({g.o}, dt::f32, tag::x) : md(),
          md(dst, dt::f32, tag::nhwc),
          md(src, dt::f32, tag::any),
          md(wei, dt::f32, tag::any),
          md(dst, dt::f32, tag::any),
          {g.sh, g.sw},
          {g.dh - 1, g.dw - 1},
          {g.pad_t, g.pad_l},
          {g.pad_b, g.pad_r}};
}

dnnl::convolution_forward::primitive_desc forward_pd(const Descs& d, bool bias, bool relu,
                                                      dnnl::algorithm alg = dnnl::algorithm::convolution_direct) {
  using namespace dnnl;
  auto desc = bias ? convolution_forward::desc(prop_kind::forward_training, alg, d.any_src, d.any_wei, d.bias,
                                               d.any_dst, d.strides, d.dilates, d.pad_l, d.pad_r)
                   : convolution_forward::desc(prop_kind::forward_training, alg, d.any_src, d.any_wei, d.any_dst,
                                               d.strides, d.dilates, d.pad_l, d.pad_r);
  post_ops po;
  if (relu) po.append_eltwise(1.0f, algorithm::eltwise_relu, 0.0f, 0.0f);
  primitive_attr attr;
  attr.set_post_ops(po);
  return convolution_forward::primitive_desc(desc, attr, dnnl_engine());
}

void add_slot(Entry& e, int arg, const dnnl::memory::desc& user, const dnnl::memory::desc& wanted, bool output) {
  auto& eng = dnnl_engine();
  Slot s{arg, output, dnnl::memory(user, eng, nullptr), dnnl::memory(), dnnl::reorder()};
  if (wanted != user) {
    s.inner = dnnl::memory(wanted, eng);  // oneDNN owns this buffer
    s.reorder = output ? dnnl::reorder(s.inner, s.user) : dnnl::reorder(s.user, s.inner);
  }
  e.args.emplace(arg, s.inner ? s.inner : s.user);
  e.slots.push_back(std::move(s));
}

// A primitive in nhwc that oneDNN can only run with its gemm-based or reference convolution.
bool slow_impl(const dnnl::primitive_desc_base& pd) {
  const std::string impl = pd.impl_info_str();
  return impl.find("gemm") != std::string::npos || impl.find("ref") != std::string::npos;
}

Entry make_entry(const Conv2DGeometry& g, Kind kind, bool bias, bool relu, bool nhwc,
                 dnnl::algorithm alg = dnnl::algorithm::convolution_direct) {
  using namespace dnnl;
  auto& eng = dnnl_engine();
  Descs d = descs(g, bias);
  if (nhwc) {
    d.any_src = d.src;
    d.any_dst = d.dst;
  }
  Entry e;
  if (kind == kForward) {
    auto pd = forward_pd(d, bias, relu, alg);
    e.prim = convolution_forward(pd);
    add_slot(e, DNNL_ARG_SRC, d.src, pd.src_desc(), false);
    add_slot(e, DNNL_ARG_WEIGHTS, d.wei, pd.weights_desc(), false);
    if (bias) add_slot(e, DNNL_ARG_BIAS, d.bias, pd.bias_desc(), false);
    add_slot(e, DNNL_ARG_DST, d.dst, pd.dst_desc(), true);
    e.slow = slow_impl(pd);
  } else if (kind == kBackwardData) {
    auto hint = forward_pd(d, false, false);
    convolution_backward_data::desc desc(algorithm::convolution_direct, d.any_src, d.any_wei, d.any_dst, d.strides,
                                         d.dilates, d.pad_l, d.pad_r);
    convolution_backward_data::primitive_desc pd(desc, eng, hint);
    e.prim = convolution_backward_data(pd);
    add_slot(e, DNNL_ARG_DIFF_DST, d.dst, pd.diff_dst_desc(), false);
    add_slot(e, DNNL_ARG_WEIGHTS, d.wei, pd.weights_desc(), false);
    add_slot(e, DNNL_ARG_DIFF_SRC, d.src, pd.diff_src_desc(), true);
    e.slow = slow_impl(pd);
  } else {
    auto hint = forward_pd(d, bias, false, alg);
    auto desc = bias ? convolution_backward_weights::desc(alg, d.any_src, d.any_wei, d.bias, d.any_dst, d.strides,
                                                          d.dilates, d.pad_l, d.pad_r)
                     : convolution_backward_weights::desc(alg, d.any_src, d.any_wei, d.any_dst, d.strides,
                                                          d.dilates, d.pad_l, d.pad_r);
    convolution_backward_weights::primitive_desc pd(desc, eng, hint);
    e.prim = convolution_backward_weights(pd);
    add_slot(e, DNNL_ARG_SRC, d.src, pd.src_desc(), false);
    add_slot(e, DNNL_ARG_DIFF_DST, d.dst, pd.diff_dst_desc(), false);
    add_slot(e, DNNL_ARG_DIFF_WEIGHTS, d.wei, pd.diff_weights_desc(), true);
    if (bias) add_slot(e, DNNL_ARG_DIFF_BIAS, d.bias, pd.diff_bias_desc(), true);
    e.slow = slow_impl(pd);
  }
  g_created++;
  return e;
}

Entry& lookup(const Conv2DGeometry& g, Kind kind, bool bias, bool relu, int threads, Path path) {
  thread_local std::unordered_map<Key, Entry, KeyHash> cache;
  Key key = make_key(g, kind, (bias ? 1 : 0) | (relu ? 2 : 0) | (int(path) << 2), threads);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  DnnlThreads scope(threads);
  if (path == Path::winograd && kind != kBackwardData && g.c % 16 == 0 && g.o % 16 == 0) {
    try {
      Entry e = make_entry(g, kind, bias, relu, false, dnnl::algorithm::convolution_winograd);
      g_winograd++;
      return cache.emplace(key, std::move(e)).first->second;
    } catch (const dnnl::error&) {
    }
  }
  const bool nhwc = path != Path::blocked;  // nhwc or winograd (im2col never gets here)
  Entry e = make_entry(g, kind, bias, relu, nhwc);
  if (nhwc && e.slow) e = make_entry(g, kind, bias, relu, false);
  return cache.emplace(key, std::move(e)).first->second;
}

void bind(Entry& e, int arg, const Tensor& t) {
  for (Slot& s : e.slots)
    if (s.arg == arg) s.user.set_data_handle(const_cast<void*>(t.raw_data()));
}
void run(Entry& e, int threads) {
  DnnlThreads scope(threads);
  auto& st = dnnl_stream();
  for (Slot& s : e.slots)
    if (s.inner && !s.output) s.reorder.execute(st, s.user, s.inner);
  e.prim.execute(st, e.args);
  for (Slot& s : e.slots)
    if (s.inner && s.output) s.reorder.execute(st, s.inner, s.user);
}

void check_f32(const char* what, std::initializer_list<const Tensor*> ts) {
  for (const Tensor* t : ts)
    NABLA_CHECK(!t || !t->defined() || (t->is_contiguous() && t->dtype() == f32), what, ": expected contiguous float32");
}

}  // namespace

int64_t conv_primitives_created() { return g_created.load(); }
int64_t conv_winograd_primitives_created() { return g_winograd.load(); }
bool conv_winograd_available() {
  // oneDNN 2.6 has float32 Winograd kernels for AVX-512 (avx512_core) only.
  return dnnl::get_effective_cpu_isa() >= dnnl::cpu_isa::avx512_core;
}

void set_conv_impl(const std::string& impl) { chosen_path().store(path_named(impl)); }

void conv2d_forward(const Tensor& x, const Tensor& w, const Tensor& b, Tensor& y, const Conv2DGeometry& g,
                    FusedActivation act) {
  if (y.numel() == 0) return;
  if (x.dtype() == f64) return forward_im2col<double>(x, w, b, y, g, act);
  check_f32("conv2d_forward", {&x, &w, &b, &y});
  const Path path = conv_path();
  if (path == Path::im2col) return forward_im2col<float>(x, w, b, y, g, act);
  if (path == Path::winograd && few_channels_forward_applies(g))
    return conv2d_forward_few_channels(x.data<float>(), w.data<float>(), b.defined() ? b.data<float>() : nullptr,
                                       y.data<float>(), g, act == FusedActivation::relu);
  int nt = conv_threads(g);
  Entry& e = lookup(g, kForward, b.defined(), act == FusedActivation::relu, nt, path);
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
  if (gy.dtype() == f64) return backward_data_im2col<double>(gy, w, gx, g);
  check_f32("conv2d_backward_data", {&gy, &w, &gx});
  const Path path = conv_path();
  if (path == Path::im2col) return backward_data_im2col<float>(gy, w, gx, g);
  int nt = conv_threads(g);
  Entry& e = lookup(g, kBackwardData, false, false, nt, path);
  bind(e, DNNL_ARG_DIFF_DST, gy);
  bind(e, DNNL_ARG_WEIGHTS, w);
  bind(e, DNNL_ARG_DIFF_SRC, gx);
  run(e, nt);
}

bool conv2d_relu_max_pool2x2_applies(const Conv2DGeometry& g) {
  return conv_path() == Path::winograd && few_channels_applies(g) && g.oh >= 2 && g.ow >= 2;
}

void conv2d_relu_max_pool2x2(const Tensor& x, const Tensor& w, const Tensor& b, Tensor& pooled, Tensor& idx,
                             const Conv2DGeometry& g) {
  NABLA_CHECK(conv2d_relu_max_pool2x2_applies(g), "conv2d_relu_max_pool2x2: not for this geometry");
  check_f32("conv2d_relu_max_pool2x2", {&x, &w, &pooled});
  conv2d_relu_max_pool2x2_few_channels(x.data<float>(), w.data<float>(), b.defined() ? b.data<float>() : nullptr,
                                       pooled.data<float>(), idx.data<int32_t>(), g);
}

bool conv2d_backward_weights_reads_images(const Conv2DGeometry& g, DType dt) {
  return dt == f32 && conv_path() == Path::winograd && few_channels_applies(g);
}

void conv2d_backward_weights_from_images(const Tensor& x, const GradImages& write_gy, Tensor& gw, Tensor* gb,
                                         const Conv2DGeometry& g) {
  NABLA_CHECK(conv2d_backward_weights_reads_images(g, x.dtype()),
              "conv2d_backward_weights_from_images: not for this geometry or dtype");
  check_f32("conv2d_backward_weights", {&x, &gw, gb});
  conv2d_backward_weights_few_channels(x.data<float>(), write_gy, gw.data<float>(), gb ? gb->data<float>() : nullptr,
                                       g);
}

void conv2d_backward_weights(const Tensor& x, const Tensor& gy, Tensor& gw, Tensor* gb, const Conv2DGeometry& g) {
  if (gy.numel() == 0) {
    gw.fill_(0);
    if (gb) gb->fill_(0);
    return;
  }
  if (x.dtype() == f64) return backward_weights_im2col<double>(x, gy, gw, gb, g);
  check_f32("conv2d_backward_weights", {&x, &gy, &gw, gb});
  const Path path = conv_path();
  if (path == Path::im2col) return backward_weights_im2col<float>(x, gy, gw, gb, g);
  if (path == Path::winograd && few_channels_applies(g))
    return conv2d_backward_weights_few_channels(x.data<float>(), gy.data<float>(), gw.data<float>(),
                                                gb ? gb->data<float>() : nullptr, g);
  int nt = conv_threads(g);
  Entry& e = lookup(g, kBackwardWeights, gb != nullptr, false, nt, path);
  bind(e, DNNL_ARG_SRC, x);
  bind(e, DNNL_ARG_DIFF_DST, gy);
  bind(e, DNNL_ARG_DIFF_WEIGHTS, gw);
  if (gb) bind(e, DNNL_ARG_DIFF_BIAS, *gb);
  run(e, nt);
}

}  // namespace nabla::kernels
