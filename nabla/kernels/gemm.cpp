#include "nabla/kernels/gemm.h"

#include <cblas.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <unordered_map>
#include <vector>

#include "nabla/core/parallel.h"
#include "nabla/kernels/dnnl_context.h"
#include "nabla/kernels/sparse_gemm.h"

namespace nabla::kernels {
namespace {

struct Matrix {
  int64_t rows, cols, s_r, s_c;
};
// The logical matrix op(X) = trans ? X^T : X, as dims and strides over X's storage.
Matrix logical(const Tensor& x, bool trans) {
  NABLA_CHECK_SHAPE(x.dim() == 2, "gemm expects 2-d operands, got shape ", x.shape().str());
  Matrix m{x.size(0), x.size(1), x.strides()[0], x.strides()[1]};
  if (trans) return {m.cols, m.rows, m.s_c, m.s_r};
  return m;
}
bool unit_stride(const Matrix& m) { return m.s_c == 1 || m.s_r == 1 || m.rows == 1 || m.cols == 1; }

struct Key {
  int64_t m, n, k, a_sr, a_sc, b_sr, b_sc;
  int flags, threads;
  bool operator==(const Key& o) const {
    return m == o.m && n == o.n && k == o.k && a_sr == o.a_sr && a_sc == o.a_sc && b_sr == o.b_sr &&
           b_sc == o.b_sc && flags == o.flags && threads == o.threads;
  }
};
struct KeyHash {
  size_t operator()(const Key& k) const {
    size_t h = 1469598103934665603ull;
    for (int64_t v : {k.m, k.n, k.k, k.a_sr, k.a_sc, k.b_sr, k.b_sc, int64_t(k.flags), int64_t(k.threads)})
      h = (h ^ size_t(v)) * 1099511628211ull;
    return h;
  }
};
struct Entry {
  dnnl::matmul prim;
  dnnl::memory a, b, bias, c;
  std::unordered_map<int, dnnl::memory> args;  // built once: the memories are handles, rebound per call
};

std::atomic<int64_t> g_created{0};

// Small products on several threads are measured, not assumed. On an idle machine a second thread halves a
// 6 MFLOP GEMM (waking it costs a few us); when other processes hold the cores, waiting for a descheduled
// worker costs a scheduler time slice (ms), 15x slower per epoch in one measured MLP run. So for each such
// shape, every kReprobe calls, kProbeCalls calls alternate between one thread and gemm_threads' count and the
// option with the lower median time is kept until the next probe. The first pair is not timed: it pays for
// creating the worker threads and first touches.
constexpr double kProbedBelowFlops = 32e6;
constexpr int64_t kProbeCalls = 16, kReprobe = 4096;
struct ThreadChoice {
  int64_t calls = 0;
  std::array<std::vector<double>, 2> seconds;  // probe times at one thread, at `want`
  int chosen = 1;
};
double median(std::vector<double>& v) {
  std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(v.size() / 2), v.end());
  return v[v.size() / 2];
}

Entry& lookup(const Key& key) {
  thread_local std::unordered_map<Key, Entry, KeyHash> cache;
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  using dt = dnnl::memory::data_type;
  using md = dnnl::memory::desc;
  auto& eng = dnnl_engine();
  md a_md({key.m, key.k}, dt::f32, {key.a_sr, key.a_sc});
  md b_md({key.k, key.n}, dt::f32, {key.b_sr, key.b_sc});
  md c_md({key.m, key.n}, dt::f32, {key.n, 1});
  bool has_bias = key.flags & 1;
  md bias_md = has_bias ? md({1, key.n}, dt::f32, {key.n, 1}) : md();
  dnnl::post_ops po;
  if (key.flags & 4) po.append_sum(1.0f);
  if (key.flags & 2) po.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
  dnnl::primitive_attr attr;
  attr.set_post_ops(po);
  DnnlThreads threads(key.threads);
  dnnl::matmul::desc desc = has_bias ? dnnl::matmul::desc(a_md, b_md, bias_md, c_md) : dnnl::matmul::desc(a_md, b_md, c_md);
  dnnl::matmul::primitive_desc pd(desc, attr, eng);
  Entry e{dnnl::matmul(pd), dnnl::memory(a_md, eng, nullptr), dnnl::memory(b_md, eng, nullptr),
          has_bias ? dnnl::memory(bias_md, eng, nullptr) : dnnl::memory(), dnnl::memory(c_md, eng, nullptr), {}};
  e.args = {{DNNL_ARG_SRC, e.a}, {DNNL_ARG_WEIGHTS, e.b}, {DNNL_ARG_DST, e.c}};
  if (has_bias) e.args.emplace(DNNL_ARG_BIAS, e.bias);
  g_created++;
  return cache.emplace(key, std::move(e)).first->second;
}

void gemm_f64(const Matrix& a, const double* pa, const Matrix& b, const double* pb, double* pc, int64_t n,
              bool accumulate) {
  auto t_of = [](const Matrix& m, int64_t& ld) {
    if (m.s_c == 1 && m.s_r >= m.cols) { ld = std::max<int64_t>(m.s_r, 1); return CblasNoTrans; }
    ld = std::max<int64_t>(m.s_c, 1);
    return CblasTrans;
  };
  int64_t lda, ldb;
  auto ta = t_of(a, lda);
  auto tb = t_of(b, ldb);
  if (ta == CblasNoTrans) lda = std::max<int64_t>(lda, a.cols); else lda = std::max<int64_t>(lda, a.rows);
  if (tb == CblasNoTrans) ldb = std::max<int64_t>(ldb, b.cols); else ldb = std::max<int64_t>(ldb, b.rows);
  cblas_dgemm(CblasRowMajor, ta, tb, int(a.rows), int(n), int(a.cols), 1.0, pa, int(lda), pb, int(ldb),
              accumulate ? 1.0 : 0.0, pc, int(n));
}

}  // namespace

int gemm_threads(int64_t m, int64_t n, int64_t k) {
  // A second thread pays off from a few MFLOP on an otherwise idle machine (measured on 2 vCPUs, oneDNN 2.6:
  // 32x784x128 forward 102 -> 58 us, its x^T g 100 -> 54 us); below that the hand-off costs more than it saves.
  // Beyond two threads, one more per ~3 MFLOP.
  const double flops = 2.0 * double(m) * double(n) * double(k);
  const int nt = get_num_threads();
  if (nt <= 1 || flops < 4e6) return 1;
  return std::min(nt, std::max(2, int(flops / 3e6)));
}

int64_t gemm_primitives_created() { return g_created.load(); }

void gemm(const Tensor& A, bool trans_a, const Tensor& B, bool trans_b, Tensor& C, const Tensor& bias, FusedActivation act,
          bool accumulate) {
  Tensor a = A, b = B;
  Matrix ma = logical(a, trans_a), mb = logical(b, trans_b);
  NABLA_CHECK_SHAPE(ma.cols == mb.rows, "matmul: inner dimensions differ: ", ma.rows, "x", ma.cols, " times ",
                    mb.rows, "x", mb.cols);
  NABLA_CHECK(A.dtype() == B.dtype() && C.dtype() == A.dtype(), "gemm: dtypes differ");
  NABLA_CHECK_SHAPE(C.dim() == 2 && C.size(0) == ma.rows && C.size(1) == mb.cols && C.is_contiguous(),
                    "gemm: output has shape ", C.shape().str(), ", expected (", ma.rows, ", ", mb.cols, ")");
  if (!unit_stride(ma)) { a = a.contiguous(); ma = logical(a, trans_a); }
  if (!unit_stride(mb)) { b = b.contiguous(); mb = logical(b, trans_b); }
  int64_t m = ma.rows, k = ma.cols, n = mb.cols;
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (!accumulate) C.fill_(0);
    return;
  }
  if (A.dtype() == f64) {
    NABLA_CHECK(!bias.defined() && act == FusedActivation::none, "gemm: float64 supports no fused bias or activation");
    gemm_f64(ma, a.data<double>(), mb, b.data<double>(), C.data<double>(), n, accumulate);
    return;
  }
  NABLA_CHECK(A.dtype() == f32, "gemm supports float32 and float64, got ", dtype_name(A.dtype()));
  if (bias.defined())
    NABLA_CHECK_SHAPE(bias.numel() == n && bias.is_contiguous(), "gemm: bias has shape ", bias.shape().str(),
                      ", expected (", n, ",)");
  // A mostly-zero A (MNIST pixels, one-hot rows) costs only its non-zeros; narrow outputs and small products
  // stay with oneDNN, where scanning A would cost more than it saves.
  if (n >= 16 && double(m) * double(n) * double(k) >= 65536.0 && mb.s_c == 1 &&  // B's rows contiguous
      gemm_skipping_zeros(a.data<float>(), m, k, ma.s_r, ma.s_c, b.data<float>(), mb.s_r,
                          C.data<float>(), n, bias.defined() ? bias.data<float>() : nullptr,
                          act == FusedActivation::relu, accumulate))
    return;
  Key key{m, n, k, ma.s_r, ma.s_c, mb.s_r, mb.s_c,
          (bias.defined() ? 1 : 0) | (act == FusedActivation::relu ? 2 : 0) | (accumulate ? 4 : 0), 0};
  const int want = gemm_threads(m, n, k);
  ThreadChoice* probe = nullptr;
  int option = 0;
  int64_t phase = 0;
  key.threads = want;
  if (want > 1 && 2.0 * double(m) * double(n) * double(k) < kProbedBelowFlops) {
    thread_local std::unordered_map<Key, ThreadChoice, KeyHash> choices;  // keyed with threads = 0
    ThreadChoice& tc = choices[key];
    phase = tc.calls++ % kReprobe;
    if (phase < kProbeCalls) {
      probe = &tc;
      option = int(phase % 2);
      key.threads = option ? want : 1;
    } else {
      key.threads = tc.chosen;
    }
  }
  Entry& e = lookup(key);
  e.a.set_data_handle(const_cast<void*>(static_cast<const void*>(a.data<float>())));
  e.b.set_data_handle(const_cast<void*>(static_cast<const void*>(b.data<float>())));
  e.c.set_data_handle(C.data<float>());
  DnnlThreads threads(key.threads);
  if (bias.defined()) e.bias.set_data_handle(const_cast<void*>(static_cast<const void*>(bias.data<float>())));
  const auto start = probe ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
  e.prim.execute(dnnl_stream(), e.args);
  if (probe && phase >= 2) {
    probe->seconds[size_t(option)].push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (phase == kProbeCalls - 1) {
      probe->chosen = median(probe->seconds[1]) < median(probe->seconds[0]) ? want : 1;
      for (auto& v : probe->seconds) v.clear();
    }
  }
}

}  // namespace nabla::kernels
