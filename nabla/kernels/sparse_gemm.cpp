#include "nabla/kernels/sparse_gemm.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "nabla/core/cpu_isa.h"
#include "nabla/core/parallel.h"

namespace nabla::kernels {
namespace {

std::atomic<int>& enabled() {
  static std::atomic<int> on{[] {
    const char* v = std::getenv("NABLA_ZERO_SKIPPING");
    return v && std::strcmp(v, "0") == 0 ? 0 : 1;
  }()};
  return on;
}

// AVX2 with FMA is on every machine we run on (AMD EPYC), AVX-512 on some; the scalar versions keep the default
// build portable. On Zen 4 a 512-bit FMA is two 256-bit halves, yet the AVX-512 kernels take 15-28% less time on
// MNIST-like operands (bench/gemm_bench BM_GemmSparseA at 19%, 1 thread, NABLA_MAX_CPU_ISA=AVX2 vs unset: x W
// 37-42 -> 28-30 us, x^T g 44-49 -> 32-35 us, batch 256 280-291 -> 236-248 us): half the instructions, and a
// compress in place of the table-driven left-pack.
// Every level computes the same bits: each C element is the same chain of FMAs in ascending k.
std::atomic<CpuIsa> g_isa{cpu_isa()};  // tests lower it to run the other kernels
CpuIsa isa() { return g_isa.load(std::memory_order_relaxed); }
bool avx2() { return isa() != CpuIsa::portable; }
bool avx512() { return isa() == CpuIsa::avx512; }

// Writes the positions of x's non-zeros (NaN counts as non-zero) and returns how many. The values are read from
// x again when they are used: writing them too cost as much as the positions (a third of a batch-256 listing).
// idx needs room for len + kOverrun entries (the vector versions write past the last non-zero).
int64_t nonzeros_scalar(const float* x, int64_t len, int32_t* idx) {
  int64_t n = 0;
  for (int64_t j = 0; j < len; ++j) {
    idx[n] = int32_t(j);
    n += x[j] != 0.0f;
  }
  return n;
}

// For each 8-bit mask, the lanes of its set bits packed to the front: a branch-free left-pack (a loop over
// the set bits mispredicts on every group of 8 and cost 25 us per MNIST step).
struct PackTable {
  alignas(32) int32_t lanes[256][8];
  PackTable() {
    for (int mask = 0; mask < 256; ++mask) {
      int n = 0;
      for (int b = 0; b < 8; ++b)
        if (mask >> b & 1) lanes[mask][n++] = b;
      while (n < 8) lanes[mask][n++] = 0;
    }
  }
};
const PackTable kPack;

// Over a multiple of 8 values; writes 8 entries past the last non-zero's group at most.
__attribute__((target("avx2,fma,popcnt"))) int64_t nonzeros_avx2(const float* x, int64_t len, int32_t* idx) {
  int64_t n = 0;
  const __m256 zero = _mm256_setzero_ps();
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (int64_t j = 0; j + 8 <= len; j += 8) {
    const __m256 v = _mm256_loadu_ps(x + j);
    const int mask = _mm256_movemask_ps(_mm256_cmp_ps(v, zero, _CMP_NEQ_UQ));
    const __m256i perm = _mm256_load_si256(reinterpret_cast<const __m256i*>(kPack.lanes[mask]));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(idx + n),
                        _mm256_add_epi32(_mm256_permutevar8x32_epi32(iota, perm), _mm256_set1_epi32(int(j))));
    n += __builtin_popcount(unsigned(mask));
  }
  return n;
}

// Over a multiple of 16 values; writes 16 entries past the last non-zero's group at most.
__attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,popcnt"))) int64_t nonzeros_avx512(const float* x,
                                                                                           int64_t len, int32_t* idx) {
  int64_t n = 0;
  const __m512 zero = _mm512_setzero_ps();
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  for (int64_t j = 0; j + 16 <= len; j += 16) {
    const __m512 v = _mm512_loadu_ps(x + j);
    const __mmask16 mask = _mm512_cmp_ps_mask(v, zero, _CMP_NEQ_UQ);
    // Compress into a register and store it whole: compress straight to memory is microcoded on Zen 4.
    _mm512_storeu_si512(idx + n, _mm512_maskz_compress_epi32(mask, _mm512_add_epi32(iota, _mm512_set1_epi32(int(j)))));
    n += __builtin_popcount(unsigned(mask));
  }
  return n;
}

// idx needs room for len + kOverrun entries.
constexpr int64_t kOverrun = 16;
int64_t nonzeros(const float* x, int64_t len, int32_t* idx) {
  if (!avx2()) return nonzeros_scalar(x, len, idx);
  const int64_t body = len & ~int64_t(avx512() ? 15 : 7);
  int64_t n = avx512() ? nonzeros_avx512(x, body, idx) : nonzeros_avx2(x, body, idx);
  int64_t t = nonzeros_scalar(x + body, len - body, idx + n);
  for (int64_t e = n; e < n + t; ++e) idx[e] += int32_t(body);
  return n + t;
}

// What a C row gets besides the sum of products, in oneDNN's post-op order: + bias, + the old C, then relu.
struct Epilogue {
  const float* bias;
  bool accumulate, relu;
  float apply(float v, const float* ci, int64_t j) const {
    if (bias) v += bias[j];
    if (accumulate) v += ci[j];
    return relu && v < 0.0f ? 0.0f : v;  // NaN passes, as in oneDNN's relu
  }
};

// ci[0, n) = epilogue(sum over e of a[row[e]] * b[row[e] * ldb + (0, n)]), the sum in ascending e: a is the row
// of op(A) whose non-zeros row lists.
void combine_rows_scalar(const int32_t* row, const float* a, int64_t cnt, const float* b, int64_t ldb, float* ci,
                         int64_t n, const Epilogue& ep) {
  for (int64_t j = 0; j < n; ++j) {
    float acc = 0.0f;
    for (int64_t e = 0; e < cnt; ++e) acc += a[row[e]] * b[int64_t(row[e]) * ldb + j];
    ci[j] = ep.apply(acc, ci, j);
  }
}

__attribute__((target("avx2,fma"), always_inline)) inline void finish_avx2(__m256 v, float* ci, int64_t j,
                                                                            const Epilogue& ep) {
  if (ep.bias) v = _mm256_add_ps(v, _mm256_loadu_ps(ep.bias + j));
  if (ep.accumulate) v = _mm256_add_ps(v, _mm256_loadu_ps(ci + j));
  if (ep.relu) v = _mm256_max_ps(_mm256_setzero_ps(), v);  // max returns its second operand for a NaN: NaN passes
  _mm256_storeu_ps(ci + j, v);
}

__attribute__((target("avx2,fma"))) void combine_rows_avx2(const int32_t* row, const float* a, int64_t cnt,
                                                           const float* b, int64_t ldb, float* ci, int64_t n,
                                                           const Epilogue& ep) {
  const __m256 zero = _mm256_setzero_ps();
  int64_t j = 0;
  for (; j + 64 <= n; j += 64) {  // 8 accumulators: two FMAs a cycle with four cycles' latency
    __m256 c0 = zero, c1 = zero, c2 = zero, c3 = zero, c4 = zero, c5 = zero, c6 = zero, c7 = zero;
    for (int64_t e = 0; e < cnt; ++e) {
      const float* br = b + int64_t(row[e]) * ldb + j;
      const __m256 s = _mm256_set1_ps(a[row[e]]);
      c0 = _mm256_fmadd_ps(s, _mm256_loadu_ps(br), c0);
      c1 = _mm256_fmadd_ps(s, _mm256_loadu_ps(br + 8), c1);
      c2 = _mm256_fmadd_ps(s, _mm256_loadu_ps(br + 16), c2);
      c3 = _mm256_fmadd_ps(s, _mm256_loadu_ps(br + 24), c3);
      c4 = _mm256_fmadd_ps(s, _mm256_loadu_ps(br + 32), c4);
      c5 = _mm256_fmadd_ps(s, _mm256_loadu_ps(br + 40), c5);
      c6 = _mm256_fmadd_ps(s, _mm256_loadu_ps(br + 48), c6);
      c7 = _mm256_fmadd_ps(s, _mm256_loadu_ps(br + 56), c7);
    }
    finish_avx2(c0, ci, j, ep);
    finish_avx2(c1, ci, j + 8, ep);
    finish_avx2(c2, ci, j + 16, ep);
    finish_avx2(c3, ci, j + 24, ep);
    finish_avx2(c4, ci, j + 32, ep);
    finish_avx2(c5, ci, j + 40, ep);
    finish_avx2(c6, ci, j + 48, ep);
    finish_avx2(c7, ci, j + 56, ep);
  }
  for (; j + 8 <= n; j += 8) {
    __m256 c0 = zero;
    for (int64_t e = 0; e < cnt; ++e)
      c0 = _mm256_fmadd_ps(_mm256_set1_ps(a[row[e]]), _mm256_loadu_ps(b + int64_t(row[e]) * ldb + j), c0);
    finish_avx2(c0, ci, j, ep);
  }
  for (; j < n; ++j) {
    float c0 = 0.0f;
    for (int64_t e = 0; e < cnt; ++e) c0 = std::fma(a[row[e]], b[int64_t(row[e]) * ldb + j], c0);
    ci[j] = ep.apply(c0, ci, j);
  }
}

__attribute__((target("avx512f,avx512vl,avx512dq,avx512bw"), always_inline)) inline void finish_avx512(
    __m512 v, float* ci, int64_t j, const Epilogue& ep) {
  if (ep.bias) v = _mm512_add_ps(v, _mm512_loadu_ps(ep.bias + j));
  if (ep.accumulate) v = _mm512_add_ps(v, _mm512_loadu_ps(ci + j));
  // NaN passes, as in finish_avx2. The zero-masked form because GCC 12 warns on _mm512_max_ps's undefined
  // pass-through operand.
  if (ep.relu) v = _mm512_maskz_max_ps(__mmask16(0xFFFF), _mm512_setzero_ps(), v);
  _mm512_storeu_ps(ci + j, v);
}

// combine_rows_avx2 with 512-bit vectors: a 128-wide block (Dense(128)'s whole row) in one pass over the
// non-zeros, then 16-wide blocks; the last n % 16 columns go to the AVX2 version.
__attribute__((target("avx512f,avx512vl,avx512dq,avx512bw"))) void combine_rows_avx512(
    const int32_t* row, const float* a, int64_t cnt, const float* b, int64_t ldb, float* ci, int64_t n,
    const Epilogue& ep) {
  const __m512 zero = _mm512_setzero_ps();
  int64_t j = 0;
  for (; j + 128 <= n; j += 128) {
    __m512 c0 = zero, c1 = zero, c2 = zero, c3 = zero, c4 = zero, c5 = zero, c6 = zero, c7 = zero;
    for (int64_t e = 0; e < cnt; ++e) {
      const float* br = b + int64_t(row[e]) * ldb + j;
      const __m512 s = _mm512_set1_ps(a[row[e]]);
      c0 = _mm512_fmadd_ps(s, _mm512_loadu_ps(br), c0);
      c1 = _mm512_fmadd_ps(s, _mm512_loadu_ps(br + 16), c1);
      c2 = _mm512_fmadd_ps(s, _mm512_loadu_ps(br + 32), c2);
      c3 = _mm512_fmadd_ps(s, _mm512_loadu_ps(br + 48), c3);
      c4 = _mm512_fmadd_ps(s, _mm512_loadu_ps(br + 64), c4);
      c5 = _mm512_fmadd_ps(s, _mm512_loadu_ps(br + 80), c5);
      c6 = _mm512_fmadd_ps(s, _mm512_loadu_ps(br + 96), c6);
      c7 = _mm512_fmadd_ps(s, _mm512_loadu_ps(br + 112), c7);
    }
    finish_avx512(c0, ci, j, ep);
    finish_avx512(c1, ci, j + 16, ep);
    finish_avx512(c2, ci, j + 32, ep);
    finish_avx512(c3, ci, j + 48, ep);
    finish_avx512(c4, ci, j + 64, ep);
    finish_avx512(c5, ci, j + 80, ep);
    finish_avx512(c6, ci, j + 96, ep);
    finish_avx512(c7, ci, j + 112, ep);
  }
  for (; j + 16 <= n; j += 16) {
    __m512 c0 = zero;
    for (int64_t e = 0; e < cnt; ++e)
      c0 = _mm512_fmadd_ps(_mm512_set1_ps(a[row[e]]), _mm512_loadu_ps(b + int64_t(row[e]) * ldb + j), c0);
    finish_avx512(c0, ci, j, ep);
  }
  if (j < n) {
    const Epilogue rest{ep.bias ? ep.bias + j : nullptr, ep.accumulate, ep.relu};
    combine_rows_avx2(row, a, cnt, b + j, ldb, ci + j, n - j, rest);
  }
}

// dst[c * rows + r] = src[r * ld + c]: X [rows, cols] (row stride ld) into X^T, contiguous.
void transpose_scalar(const float* src, int64_t rows, int64_t cols, int64_t ld, float* dst) {
  constexpr int64_t kTile = 32;  // tiles keep both sides' lines in L1
  for (int64_t r0 = 0; r0 < rows; r0 += kTile)
    for (int64_t c0 = 0; c0 < cols; c0 += kTile)
      for (int64_t r = r0; r < std::min(rows, r0 + kTile); ++r)
        for (int64_t c = c0; c < std::min(cols, c0 + kTile); ++c) dst[c * rows + r] = src[r * ld + c];
}

__attribute__((target("avx2,fma"))) void transpose_avx2(const float* src, int64_t rows, int64_t cols, int64_t ld,
                                                        float* dst) {
  const int64_t r8 = rows & ~int64_t(7), c8 = cols & ~int64_t(7);
  for (int64_t r = 0; r < r8; r += 8)
    for (int64_t c = 0; c < c8; c += 8) {  // an 8x8 block through registers
      __m256 v[8], t[8];
      for (int i = 0; i < 8; ++i) v[i] = _mm256_loadu_ps(src + (r + i) * ld + c);
      for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(v[i], v[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(v[i], v[i + 1]);
      }
      for (int i = 0; i < 8; i += 4) {
        v[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        v[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
        v[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        v[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
      }
      for (int i = 0; i < 4; ++i) {
        _mm256_storeu_ps(dst + (c + i) * rows + r, _mm256_permute2f128_ps(v[i], v[i + 4], 0x20));
        _mm256_storeu_ps(dst + (c + i + 4) * rows + r, _mm256_permute2f128_ps(v[i], v[i + 4], 0x31));
      }
    }
  for (int64_t r = 0; r < rows; ++r)  // the edges
    for (int64_t c = r < r8 ? c8 : 0; c < cols; ++c) dst[c * rows + r] = src[r * ld + c];
}

// Per-thread scratch, grown to the largest problem seen and then reused: steady-state steps allocate nothing.
struct Scratch {
  std::vector<int32_t> idx;
  std::vector<float> transposed;
  const float* rows = nullptr;  // the listed rows of op(A): A itself or `transposed`
  int64_t lda = 0;
  std::vector<int64_t> ptr;
};
Scratch& scratch() {
  thread_local Scratch sc;
  return sc;
}

struct Problem {
  const float* a;  // op(A) [m, k]: rows at a + i * a_sr with unit a_sc, or (transposed) X [k, m] with row stride a_sc
  int64_t m, k, a_sr, a_sc;
  bool transposed;
  const float* b;
  int64_t ldb;
  float* c;
  int64_t n;
  Epilogue ep;
  int64_t budget;  // the most non-zeros A may have for the sparse way
};

// Lists the non-zeros of op(A)'s rows [rb, re) in sc, which keeps where the rows are (X's columns are transposed
// into sc.transposed first, and stay there while they are combined). Returns the
// count, or -1 as soon as it exceeds the whole matrix's budget (then A is too dense whatever the other rows hold).
int64_t list_rows(const Problem& p, Scratch& sc, int64_t rb, int64_t re) {
  const float* rows = p.a + rb * p.a_sr;
  int64_t lda = p.a_sr;
  const int64_t k = p.k;
  if (p.transposed) {
    if (int64_t(sc.transposed.size()) < (re - rb) * k) sc.transposed.resize(size_t((re - rb) * k));
    if (avx2())
      transpose_avx2(p.a + rb, k, re - rb, p.a_sc, sc.transposed.data());
    else
      transpose_scalar(p.a + rb, k, re - rb, p.a_sc, sc.transposed.data());
    rows = sc.transposed.data();
    lda = k;
  }
  const int64_t room = std::min(p.budget, (re - rb) * k) + k + kOverrun;  // a row may write that before the check
  if (int64_t(sc.idx.size()) < room) sc.idx.resize(size_t(room));
  sc.rows = rows;
  sc.lda = lda;
  sc.ptr.resize(size_t(re - rb + 1));
  int64_t total = 0;
  for (int64_t i = 0; i < re - rb; ++i) {
    sc.ptr[size_t(i)] = total;
    total += nonzeros(rows + i * lda, k, sc.idx.data() + total);
    if (total > p.budget) return -1;
  }
  sc.ptr[size_t(re - rb)] = total;
  return total;
}

void combine_listed(const Problem& p, const Scratch& sc, int64_t rb, int64_t re) {
  for (int64_t i = rb; i < re; ++i) {
    const int64_t s = sc.ptr[size_t(i - rb)], cnt = sc.ptr[size_t(i - rb + 1)] - s;
    float* ci = p.c + i * p.n;
    const float* a = sc.rows + (i - rb) * sc.lda;
    if (cnt == 0 && !p.ep.bias && !p.ep.accumulate) {  // common in x^T g: a pixel blank across the whole batch
      std::fill(ci, ci + p.n, 0.0f);
      continue;
    }
    if (avx512())
      combine_rows_avx512(sc.idx.data() + s, a, cnt, p.b, p.ldb, ci, p.n, p.ep);
    else if (avx2())
      combine_rows_avx2(sc.idx.data() + s, a, cnt, p.b, p.ldb, ci, p.n, p.ep);
    else
      combine_rows_scalar(sc.idx.data() + s, a, cnt, p.b, p.ldb, ci, p.n, p.ep);
  }
}

// Each thread lists and then computes its own rows of C; between the two, all agree on whether A is sparse
// enough (the total against the budget), so C is written in full or not at all, and the choice does not
// depend on the thread count.
bool run(const Problem& p) {
  const int nt = int(std::min<int64_t>(threads_for(p.m * p.k * p.n), std::max<int64_t>(1, p.m / 8)));
  if (nt <= 1) {
    Scratch& sc = scratch();
    if (list_rows(p, sc, 0, p.m) < 0) return false;
    combine_listed(p, sc, 0, p.m);
    return true;
  }
  std::atomic<int64_t> total{0};
#pragma omp parallel num_threads(nt)
  {
    const int t = omp_get_thread_num(), cnt = omp_get_num_threads();
    const int64_t rb = p.m * t / cnt, re = p.m * (t + 1) / cnt;
    Scratch& sc = scratch();
    const int64_t mine = rb < re ? list_rows(p, sc, rb, re) : 0;
    total += mine < 0 ? p.budget + 1 : mine;
#pragma omp barrier
    if (total.load() <= p.budget && rb < re) combine_listed(p, sc, rb, re);
  }
  return total.load() <= p.budget;
}

}  // namespace

namespace detail {
CpuIsa limit_zero_skipping_isa(CpuIsa most) {
  g_isa.store(cpu_isa_at_most(most));
  return g_isa.load();
}
}  // namespace detail

void set_zero_skipping(bool on) { enabled().store(on ? 1 : 0); }
bool zero_skipping() { return enabled().load(std::memory_order_relaxed) != 0; }

bool gemm_skipping_zeros(const float* a, int64_t m, int64_t k, int64_t a_sr, int64_t a_sc, const float* b,
                         int64_t ldb, float* c, int64_t n, const float* bias, bool relu, bool accumulate) {
  if (!zero_skipping() || m <= 0 || k <= 0 || n <= 0) return false;
  if (m >= (int64_t(1) << 31) || k >= (int64_t(1) << 31)) return false;
  const bool rows_contiguous = a_sc == 1 || k == 1;
  if (!rows_contiguous && a_sr != 1 && m != 1) return false;
  Problem p{a, m, k, a_sr, a_sc, !rows_contiguous, b, ldb, c, n, Epilogue{bias, accumulate, relu},
            int64_t(kMaxDensity * double(m) * double(k))};
  // A look at a few stored rows spread over A (op(A)'s rows, or X's for op(A) = X^T as in a kernel gradient
  // x^T g) turns a clearly dense A away before anything is scanned in full or transposed.
  const int64_t stored_rows = p.transposed ? k : m, stored_len = p.transposed ? m : k;
  const int64_t stored_stride = p.transposed ? a_sc : a_sr;
  const int64_t probes = std::min<int64_t>(stored_rows, 8);
  Scratch& sc = scratch();
  if (int64_t(sc.idx.size()) < stored_len + kOverrun) sc.idx.resize(size_t(stored_len + kOverrun));
  int64_t seen = 0;
  for (int64_t r = 0; r < probes; ++r)
    seen += nonzeros(a + (r * stored_rows / probes) * stored_stride, stored_len, sc.idx.data());
  if (double(seen) > 1.5 * kMaxDensity * double(probes) * double(stored_len)) return false;
  return run(p);
}

}  // namespace nabla::kernels
