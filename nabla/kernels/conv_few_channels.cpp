#include "nabla/kernels/conv_few_channels.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <vector>

#include "nabla/core/cpu_isa.h"
#include "nabla/core/parallel.h"
#include "nabla/kernels/max_fold.h"

namespace nabla::kernels {
namespace {

std::atomic<CpuIsa> g_isa{cpu_isa()};  // tests lower it to run the AVX2 kernels on an AVX-512 machine
std::atomic<bool> g_forward_everywhere{false};  // tests: the forward wherever the kernels apply

constexpr int64_t kChunkImages = 4;  // images summed together before chunks are added (fixes the rounding)
constexpr int kMaxTaps = 12;         // taps accumulated in one pass over a chunk: the registers hold no more

// Adds one output row's terms to part[t * o + j] (t < G, the 8 columns j from o0) and, with kBias, its gy to
// bias[j]: part += sum over the row's pixels of x(pixel + off[t]) * gy(pixel, j). The accumulators live within
// one row's loop, loaded and stored around it: across the image and row loops GCC 12 kept a copy of them on the
// stack, stored on every pixel (2.8 ms on conv 1 instead of ~0.6).
template <int G, bool kBias>
__attribute__((target("avx2,fma"))) void row_avx2(const float* xr, const float* gr, int64_t ow, int64_t c, int64_t o,
                                                  const int64_t* off, float* part, float* bias) {
  __m256 acc[G];
  #pragma GCC unroll 16
  for (int t = 0; t < G; ++t) acc[t] = _mm256_loadu_ps(part + t * o);
  __m256 accb = kBias ? _mm256_loadu_ps(bias) : _mm256_setzero_ps();
  for (int64_t x = 0; x < ow; ++x) {
    const __m256 gv = _mm256_loadu_ps(gr + x * o);
    const float* xp = xr + x * c;
    #pragma GCC unroll 16
    for (int t = 0; t < G; ++t) acc[t] = _mm256_fmadd_ps(_mm256_broadcast_ss(xp + off[t]), gv, acc[t]);
    if constexpr (kBias) accb = _mm256_add_ps(accb, gv);
  }
  #pragma GCC unroll 16
  for (int t = 0; t < G; ++t) _mm256_storeu_ps(part + t * o, acc[t]);
  if constexpr (kBias) _mm256_storeu_ps(bias, accb);
}

// The same over 16 * V columns with 512-bit vectors: per element the same chain of operations as row_avx2.
template <int G, int V, bool kBias>
__attribute__((target("avx512f,avx512vl,avx512dq,avx512bw"))) void row_avx512(const float* xr, const float* gr,
                                                                            int64_t ow, int64_t c, int64_t o,
                                                                            const int64_t* off, float* part,
                                                                            float* bias) {
  __m512 acc[G][V], accb[V];
  #pragma GCC unroll 16
  for (int v = 0; v < V; ++v) {
    #pragma GCC unroll 16
    for (int t = 0; t < G; ++t) acc[t][v] = _mm512_loadu_ps(part + t * o + 16 * v);
    accb[v] = kBias ? _mm512_loadu_ps(bias + 16 * v) : _mm512_setzero_ps();
  }
  for (int64_t x = 0; x < ow; ++x) {
    __m512 gv[V];
    #pragma GCC unroll 16
    for (int v = 0; v < V; ++v) gv[v] = _mm512_loadu_ps(gr + x * o + 16 * v);
    const float* xp = xr + x * c;
    #pragma GCC unroll 16
    for (int t = 0; t < G; ++t) {
      const __m512 s = _mm512_set1_ps(xp[off[t]]);
      #pragma GCC unroll 16
      for (int v = 0; v < V; ++v) acc[t][v] = _mm512_fmadd_ps(s, gv[v], acc[t][v]);
    }
    if constexpr (kBias)
      #pragma GCC unroll 16
      for (int v = 0; v < V; ++v) accb[v] = _mm512_add_ps(accb[v], gv[v]);
  }
  #pragma GCC unroll 16
  for (int v = 0; v < V; ++v) {
    #pragma GCC unroll 16
    for (int t = 0; t < G; ++t) _mm512_storeu_ps(part + t * o + 16 * v, acc[t][v]);
    if constexpr (kBias) _mm512_storeu_ps(bias + 16 * v, accb[v]);
  }
}

// One row's terms for a column block 8 (AVX2), 16 or 32 (AVX-512) wide.
using Row = void (*)(const float*, const float*, int64_t, int64_t, int64_t, const int64_t*, float*, float*);

template <int G, bool kBias>
Row pick(int64_t width) {
  if (width == 32) return row_avx512<G, 2, kBias>;
  if (width == 16) return row_avx512<G, 1, kBias>;
  return row_avx2<G, kBias>;
}

template <bool kBias, int G = 1>
Row pick_taps(int taps, int64_t width) {
  if constexpr (G < kMaxTaps) {
    if (taps != G) return pick_taps<kBias, G + 1>(taps, width);
  }
  return pick<G, kBias>(width);
}

// Forward: y(pixel, j) = act(sum over taps t of x(pixel + off[t]) * w[t * o + j] [+ b[j]]) for P pixels of one
// output row from xr (the row's first pixel in the padded image, c floats apart) and 8 * V columns from o0. Each
// element: +0, then one FMA per tap in tap order, then the bias, then relu (max with 0, NaN passes): the same chain
// in row_forward_avx512, so both compute the same bits. On AVX-512 this AVX2 version takes the last 8 columns
// when the output channels are not a multiple of 16.
struct Forward {
  const float* w;
  const float* b;
  bool relu;
  int64_t taps, c, o;
  const int64_t* off;
};

template <int V, int P>
__attribute__((target("avx2,fma"))) void row_forward_avx2(const Forward& f, const float* xr, float* yr, int64_t o0) {
  __m256 acc[P][V];
#pragma GCC unroll 16
  for (int p = 0; p < P; ++p)
#pragma GCC unroll 16
    for (int v = 0; v < V; ++v) acc[p][v] = _mm256_setzero_ps();
  for (int64_t t = 0; t < f.taps; ++t) {
    __m256 wv[V];
#pragma GCC unroll 16
    for (int v = 0; v < V; ++v) wv[v] = _mm256_loadu_ps(f.w + t * f.o + o0 + 8 * v);
    const float* xt = xr + f.off[t];
#pragma GCC unroll 16
    for (int p = 0; p < P; ++p) {
      const __m256 s = _mm256_broadcast_ss(xt + p * f.c);
#pragma GCC unroll 16
      for (int v = 0; v < V; ++v) acc[p][v] = _mm256_fmadd_ps(s, wv[v], acc[p][v]);
    }
  }
#pragma GCC unroll 16
  for (int p = 0; p < P; ++p)
#pragma GCC unroll 16
    for (int v = 0; v < V; ++v) {
      __m256 r = acc[p][v];
      if (f.b) r = _mm256_add_ps(r, _mm256_loadu_ps(f.b + o0 + 8 * v));
      if (f.relu) r = _mm256_max_ps(_mm256_setzero_ps(), r);
      _mm256_storeu_ps(yr + p * f.o + o0 + 8 * v, r);
    }
}

template <int V, int P>
__attribute__((target("avx512f,avx512vl,avx512dq,avx512bw"))) void row_forward_avx512(const Forward& f,
                                                                                    const float* xr, float* yr,
                                                                                    int64_t o0) {
  __m512 acc[P][V];
#pragma GCC unroll 16
  for (int p = 0; p < P; ++p)
#pragma GCC unroll 16
    for (int v = 0; v < V; ++v) acc[p][v] = _mm512_setzero_ps();
  for (int64_t t = 0; t < f.taps; ++t) {
    __m512 wv[V];
#pragma GCC unroll 16
    for (int v = 0; v < V; ++v) wv[v] = _mm512_loadu_ps(f.w + t * f.o + o0 + 16 * v);
    const float* xt = xr + f.off[t];
#pragma GCC unroll 16
    for (int p = 0; p < P; ++p) {
      const __m512 s = _mm512_set1_ps(xt[p * f.c]);
#pragma GCC unroll 16
      for (int v = 0; v < V; ++v) acc[p][v] = _mm512_fmadd_ps(s, wv[v], acc[p][v]);
    }
  }
#pragma GCC unroll 16
  for (int p = 0; p < P; ++p)
#pragma GCC unroll 16
    for (int v = 0; v < V; ++v) {
      __m512 r = acc[p][v];
      if (f.b) r = _mm512_add_ps(r, _mm512_loadu_ps(f.b + o0 + 16 * v));
      if (f.relu) r = _mm512_maskz_max_ps(__mmask16(0xFFFF), _mm512_setzero_ps(), r);  // see sparse_gemm.cpp
      _mm512_storeu_ps(yr + p * f.o + o0 + 16 * v, r);
    }
}

using RowForward = void (*)(const Forward&, const float*, float*, int64_t);

// One output row: column blocks of 32 (AVX-512), 16 (AVX-512 or AVX2) and 8 (AVX2), pixels in blocks of P
// (registers: P * V accumulators), the last pixels one by one.
void forward_row(const Forward& f, const float* xr, float* yr, int64_t ow, bool avx512) {
  for (int64_t o0 = 0; o0 < f.o;) {
    const int64_t left = f.o - o0, width = left >= 32 && avx512 ? 32 : left >= 16 ? 16 : 8;
    RowForward block = row_forward_avx2<1, 8>, one = row_forward_avx2<1, 1>;
    int64_t p_block = 8;
    if (width == 32) {
      block = row_forward_avx512<2, 8>, one = row_forward_avx512<2, 1>;
    } else if (width == 16 && avx512) {
      block = row_forward_avx512<1, 12>, one = row_forward_avx512<1, 1>, p_block = 12;
    } else if (width == 16) {
      block = row_forward_avx2<2, 6>, one = row_forward_avx2<2, 1>, p_block = 6;
    }
    int64_t x = 0;
    for (; x + p_block <= ow; x += p_block) block(f, xr + x * f.c, yr + x * f.o, o0);
    for (; x < ow; ++x) one(f, xr + x * f.c, yr + x * f.o, o0);
    o0 += width;
  }
}

// Copies image x [h, w, c] into dst, an image padded to rows of wp pixels, at (pad_t, pad_l), so that every tap of
// every output pixel lies inside. Only the inside is written: dst's borders, zeroed once, stay zero.
void copy_padded(const float* x, const Conv2DGeometry& g, int64_t wp, float* dst) {
  for (int64_t y = 0; y < g.h; ++y)
    std::copy_n(x + y * g.w * g.c, g.w * g.c, dst + ((y + g.pad_t) * wp + g.pad_l) * g.c);
}

// Where tap t = (ky * kw + kx) * c + ci (HWIO order) of an output pixel reads, relative to the pixel's first
// input value in an image padded to rows of wp pixels.
std::vector<int64_t> tap_offsets(const Conv2DGeometry& g, int64_t wp) {
  std::vector<int64_t> off;
  for (int64_t ky = 0; ky < g.kh; ++ky)
    for (int64_t kx = 0; kx < g.kw; ++kx)
      for (int64_t ci = 0; ci < g.c; ++ci) off.push_back((ky * wp + kx) * g.c + ci);
  return off;
}

}  // namespace

namespace detail {
CpuIsa limit_conv_few_channels_isa(CpuIsa most) {
  g_isa.store(cpu_isa_at_most(most));
  return g_isa.load();
}
bool few_channels_forward_everywhere(bool on) { return g_forward_everywhere.exchange(on); }
}  // namespace detail

bool few_channels_applies(const Conv2DGeometry& g) {
  return g_isa.load() != CpuIsa::portable && g.c >= 1 && g.c <= 4 && g.sh == 1 && g.sw == 1 && g.dh == 1 &&
         g.dw == 1 && g.o % 8 == 0 && g.o > 0 && g.n > 0 && g.oh > 0 && g.ow > 0;
}

bool few_channels_forward_applies(const Conv2DGeometry& g) {
  // On AVX2 oneDNN's is faster (the header).
  return few_channels_applies(g) && (g_isa.load() == CpuIsa::avx512 || g_forward_everywhere.load());
}

void conv2d_forward_few_channels(const float* x, const float* w, const float* b, float* y, const Conv2DGeometry& g,
                                 bool relu) {
  const int64_t taps = g.kh * g.kw * g.c, hp = g.h + g.pad_t + g.pad_b, wp = g.w + g.pad_l + g.pad_r;
  const std::vector<int64_t> off = tap_offsets(g, wp);
  const Forward f{w, b, relu, taps, g.c, g.o, off.data()};
  const bool avx512 = g_isa.load() == CpuIsa::avx512;
  parallel_for(0, g.n, 2 * g.oh * g.ow * taps * g.o, [&](int64_t nb, int64_t ne) {
    std::vector<float> xpad(size_t(hp * wp * g.c), 0.0f);
    for (int64_t i = nb; i < ne; ++i) {
      copy_padded(x + i * g.h * g.w * g.c, g, wp, xpad.data());
      for (int64_t yy = 0; yy < g.oh; ++yy)
        forward_row(f, xpad.data() + yy * wp * g.c, y + (i * g.oh + yy) * g.ow * g.o, g.ow, avx512);
    }
  });
}

namespace {
// One output row of 2x2 max pooling from conv rows r0 and r1 (ow pixels of o channels each) at conv row iy0: the
// window's four values folded in row-major order as max_pool2d folds them (kernels/max_fold.h).
__attribute__((target("avx2"))) void max_pool_row_pair(const float* r0, const float* r1, int64_t ow, int64_t o,
                                                       int64_t iy0, float* out, int32_t* oi) {
  for (int64_t px = 0; px < ow / 2; ++px) {
    const int64_t x0 = 2 * px;
    float* po = out + px * o;
    int32_t* pi = oi + px * o;
    std::copy_n(r0 + x0 * o, o, po);
    std::fill_n(pi, o, int32_t(iy0 * ow + x0));
    fold_max(r0 + (x0 + 1) * o, po, pi, int32_t(iy0 * ow + x0 + 1), o);
    fold_max(r1 + x0 * o, po, pi, int32_t((iy0 + 1) * ow + x0), o);
    fold_max(r1 + (x0 + 1) * o, po, pi, int32_t((iy0 + 1) * ow + x0 + 1), o);
  }
}
}  // namespace

void conv2d_relu_max_pool2x2_few_channels(const float* x, const float* w, const float* b, float* pooled,
                                          int32_t* idx, const Conv2DGeometry& g) {
  const int64_t taps = g.kh * g.kw * g.c, hp = g.h + g.pad_t + g.pad_b, wp = g.w + g.pad_l + g.pad_r;
  const int64_t ph = g.oh / 2, pw = g.ow / 2;
  const std::vector<int64_t> off = tap_offsets(g, wp);
  const Forward f{w, b, true, taps, g.c, g.o, off.data()};
  const bool avx512 = g_isa.load() == CpuIsa::avx512;
  parallel_for(0, g.n, 2 * g.oh * g.ow * taps * g.o, [&](int64_t nb, int64_t ne) {
    std::vector<float> xpad(size_t(hp * wp * g.c), 0.0f), rows(size_t(2 * g.ow * g.o));
    for (int64_t i = nb; i < ne; ++i) {
      copy_padded(x + i * g.h * g.w * g.c, g, wp, xpad.data());
      for (int64_t py = 0; py < ph; ++py) {
        forward_row(f, xpad.data() + 2 * py * wp * g.c, rows.data(), g.ow, avx512);
        forward_row(f, xpad.data() + (2 * py + 1) * wp * g.c, rows.data() + g.ow * g.o, g.ow, avx512);
        const int64_t at = ((i * ph + py) * pw) * g.o;
        max_pool_row_pair(rows.data(), rows.data() + g.ow * g.o, g.ow, g.o, 2 * py, pooled + at, idx + at);
      }
    }
  });
}

namespace {
// gy is either dense (gy) or written chunk by chunk (write_gy).
void backward_weights(const float* x, const float* gy, const GradImages* write_gy, float* gw, float* gb,
                      const Conv2DGeometry& g) {
  const int64_t taps = g.kh * g.kw * g.c, hp = g.h + g.pad_t + g.pad_b, wp = g.w + g.pad_l + g.pad_r;
  const std::vector<int64_t> off = tap_offsets(g, wp);
  const bool avx512 = g_isa.load() == CpuIsa::avx512;
  const int64_t chunks = (g.n + kChunkImages - 1) / kChunkImages, per_chunk = taps * g.o + g.o;
  std::vector<float> parts(size_t(chunks * per_chunk), 0.0f);
  const int64_t chunk_flops = 2 * kChunkImages * g.oh * g.ow * (taps + 1) * g.o;
  parallel_for(0, chunks, chunk_flops, [&](int64_t cb, int64_t ce) {
    std::vector<float> xpad(size_t(kChunkImages * hp * wp * g.c), 0.0f);  // a chunk's images, padded
    const int64_t gy_image = g.oh * g.ow * g.o;
    std::unique_ptr<float[]> gy_chunk(write_gy ? new float[size_t(kChunkImages * gy_image)] : nullptr);
    for (int64_t ch = cb; ch < ce; ++ch) {
      const int64_t first = ch * kChunkImages, images = std::min(kChunkImages, g.n - first);
      for (int64_t i = 0; i < images; ++i)
        copy_padded(x + (first + i) * g.h * g.w * g.c, g, wp, xpad.data() + i * hp * wp * g.c);
      if (write_gy) (*write_gy)(first, images, gy_chunk.get());
      const float* gyc = write_gy ? gy_chunk.get() : gy + first * gy_image;
      float* part = parts.data() + ch * per_chunk;
      for (int64_t o0 = 0; o0 < g.o;) {
        const int64_t width = avx512 && g.o - o0 >= 32 ? 32 : avx512 && g.o - o0 >= 16 ? 16 : 8;
        for (int64_t t0 = 0; t0 < taps; t0 += kMaxTaps) {
          const int n = int(std::min<int64_t>(kMaxTaps, taps - t0));
          const Row row = t0 == 0 ? pick_taps<true>(n, width) : pick_taps<false>(n, width);
          for (int64_t i = 0; i < images; ++i)
            for (int64_t y = 0; y < g.oh; ++y)
              row(xpad.data() + (i * hp + y) * wp * g.c, gyc + (i * g.oh + y) * g.ow * g.o + o0, g.ow, g.c, g.o,
                  off.data() + t0, part + t0 * g.o + o0, part + taps * g.o + o0);
        }
        o0 += width;
      }
    }
  });
  // The chunks' sums, added into the first chunk's in chunk order; it holds the weight gradient, then the bias's.
  for (int64_t ch = 1; ch < chunks; ++ch)
    for (int64_t i = 0; i < per_chunk; ++i) parts[size_t(i)] += parts[size_t(ch * per_chunk + i)];
  std::copy_n(parts.data(), taps * g.o, gw);
  if (gb) std::copy_n(parts.data() + taps * g.o, g.o, gb);
}
}  // namespace

void conv2d_backward_weights_few_channels(const float* x, const float* gy, float* gw, float* gb,
                                          const Conv2DGeometry& g) {
  backward_weights(x, gy, nullptr, gw, gb, g);
}
void conv2d_backward_weights_few_channels(const float* x, const GradImages& write_gy, float* gw, float* gb,
                                          const Conv2DGeometry& g) {
  backward_weights(x, nullptr, &write_gy, gw, gb, g);
}

}  // namespace nabla::kernels
