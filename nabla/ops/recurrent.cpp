#include "nabla/ops/recurrent.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "nabla/autograd/node.h"
#include "nabla/core/cpu_isa.h"
#include "nabla/core/parallel.h"
#include "nabla/kernels/gemm.h"

namespace nabla {

using autograd::GradList;
using autograd::record;

namespace {

// The activations a cell may use; each is differentiated through its output (all of these can be), so that
// backward needs only the activated gates that forward saved.
enum class Act { linear, tanh, sigmoid, relu, hard_sigmoid };

bool parse_act(const std::string& n, Act& a) {
  if (n.empty() || n == "linear") a = Act::linear;
  else if (n == "tanh") a = Act::tanh;
  else if (n == "sigmoid") a = Act::sigmoid;
  else if (n == "relu") a = Act::relu;
  else if (n == "hard_sigmoid") a = Act::hard_sigmoid;
  else return false;
  return true;
}

template <class T>
inline T act_f(Act a, T x) {
  switch (a) {
    case Act::tanh: return std::tanh(x);
    case Act::sigmoid: return T(1) / (T(1) + std::exp(-x));
    case Act::relu: return x > T(0) ? x : T(0);
    case Act::hard_sigmoid: {  // Keras 3: relu6(x + 3) / 6
      T v = x + T(3);
      return (v < T(0) ? T(0) : v > T(6) ? T(6) : v) / T(6);
    }
    case Act::linear: break;
  }
  return x;
}

// exp for float32 without a libm call, so that the loops over gates vectorize: Cephes's expf (range reduction
// to [-ln2/2, ln2/2] and a degree-6 polynomial; about 1 ulp). Always inlined: the caller's target (see
// lstm_forward_row) sets the vector width, and every target computes the same bits (this file is built without
// FMA contraction).
__attribute__((always_inline)) inline float fast_expf(float x) {
  x = std::min(std::max(x, -87.3f), 88.3f);
  const float fx = std::floor(x * 1.44269504088896341f + 0.5f);
  const float r = x - fx * 0.693359375f + fx * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  return p * std::bit_cast<float>((int32_t(fx) + 127) << 23);
}

// tanh from exp(-2|x|), with the odd Taylor polynomial near 0 where (1 - e) / (1 + e) would cancel.
__attribute__((always_inline)) inline float fast_tanhf(float x) {
  const float ax = std::abs(x), x2 = x * x;
  const float e = fast_expf(-2.0f * ax);
  const float big = std::copysign((1.0f - e) / (1.0f + e), x);
  const float small = x * (1.0f + x2 * (-1.0f / 3.0f + x2 * (2.0f / 15.0f + x2 * (-17.0f / 315.0f))));
  return ax < 0.05f ? small : big;
}

// dst[i] = act(in(i)): float32 through the vectorizable forms above, float64 (gradient checks) through libm.
template <class T, class In>
__attribute__((always_inline)) inline void act_map(Act a, In in, T* dst, int64_t n) {
  if constexpr (std::is_same_v<T, float>) {
    if (a == Act::tanh) {
      for (int64_t i = 0; i < n; ++i) dst[i] = fast_tanhf(in(i));
      return;
    }
    if (a == Act::sigmoid) {
      for (int64_t i = 0; i < n; ++i) dst[i] = 1.0f / (1.0f + fast_expf(-in(i)));
      return;
    }
  }
  for (int64_t i = 0; i < n; ++i) dst[i] = act_f(a, in(i));
}
// dst[i] = act(x[i] + y[i]) (y may be null: act(x[i])); dst may be x.
template <class T>
__attribute__((always_inline)) inline void act_sum_t(Act a, const T* x, const T* y, T* dst, int64_t n) {
  if (y)
    act_map(a, [x, y](int64_t i) __attribute__((always_inline)) { return x[i] + y[i]; }, dst, n);
  else
    act_map(a, [x](int64_t i) __attribute__((always_inline)) { return x[i]; }, dst, n);
}

// The portable build's float32 loops run as AVX2 where cpu_isa() allows.
inline void act_sum(Act a, const float* x, const float* y, float* dst, int64_t n) {
  run_at_best_isa<act_sum_t<float>>(a, x, y, dst, n);
}
inline void act_sum(Act a, const double* x, const double* y, double* dst, int64_t n) { act_sum_t(a, x, y, dst, n); }

// p[i] = act(p[i]).
template <class T>
void act_inplace(Act a, T* p, int64_t n) {
  act_sum(a, p, static_cast<const T*>(nullptr), p, n);
}

// One LSTM row's step from its pre-activations x + r (input projection + recurrent part): the gates a (i, f, c,
// o), the carry c (its old value copied to c_before first, if given), tc = act(c), and h = out = o * tc.
template <class T>
__attribute__((always_inline)) inline void lstm_forward_row_t(Act act, Act ract, int64_t H, const T* __restrict x,
                                                              const T* __restrict r, T* __restrict a,
                                                              T* __restrict c, T* __restrict c_before,
                                                              T* __restrict tc, T* __restrict h,
                                                              T* __restrict out) {
  act_sum_t(ract, x, r, a, 2 * H);                   // i, f
  act_sum_t(act, x + 2 * H, r + 2 * H, a + 2 * H, H);  // c
  act_sum_t(ract, x + 3 * H, r + 3 * H, a + 3 * H, H);  // o
  if (c_before) std::memcpy(c_before, c, sizeof(T) * H);
  for (int64_t j = 0; j < H; ++j) tc[j] = c[j] = a[H + j] * c[j] + a[j] * a[2 * H + j];
  act_sum_t(act, tc, static_cast<const T*>(nullptr), tc, H);
  for (int64_t j = 0; j < H; ++j) h[j] = out[j] = a[3 * H + j] * tc[j];
}
// float32's row step per level (cpu_isa(), capped by NABLA_MAX_CPU_ISA): 512-bit vectors took 9% off the LSTM's
// forward pass on Zen 4 (W6's shapes, 1 thread; backward's row step gained nothing from them). AVX-512F has FMA
// instructions, which the compiler would contract a * b + c into: this file is built with -ffp-contract=off
// (CMakeLists.txt), so every level computes the same bits (Recurrent.LSTMRowStepGivesTheSameBitsAtEveryIsaLevel).
std::atomic<CpuIsa> g_isa{cpu_isa()};  // tests lower it
__attribute__((target("avx512f"))) void lstm_forward_row_avx512(
    Act act, Act ract, int64_t H, const float* x, const float* r, float* a, float* c, float* c_before, float* tc,
    float* h, float* out) {
  lstm_forward_row_t(act, ract, H, x, r, a, c, c_before, tc, h, out);
}
__attribute__((target("avx2"))) void lstm_forward_row_avx2(Act act, Act ract, int64_t H, const float* x,
                                                           const float* r, float* a, float* c, float* c_before,
                                                           float* tc, float* h, float* out) {
  lstm_forward_row_t(act, ract, H, x, r, a, c, c_before, tc, h, out);
}
inline void lstm_forward_row(Act act, Act ract, int64_t H, const float* x, const float* r, float* a, float* c,
                             float* c_before, float* tc, float* h, float* out) {
  switch (g_isa.load(std::memory_order_relaxed)) {
    case CpuIsa::avx512: return lstm_forward_row_avx512(act, ract, H, x, r, a, c, c_before, tc, h, out);
    case CpuIsa::avx2: return lstm_forward_row_avx2(act, ract, H, x, r, a, c, c_before, tc, h, out);
    case CpuIsa::portable: break;
  }
  lstm_forward_row_t(act, ract, H, x, r, a, c, c_before, tc, h, out);
}
inline void lstm_forward_row(Act act, Act ract, int64_t H, const double* x, const double* r, double* a, double* c,
                             double* c_before, double* tc, double* h, double* out) {
  lstm_forward_row_t(act, ract, H, x, r, a, c, c_before, tc, h, out);
}

// d act / d x, from y = act(x).
template <class T>
inline T act_d(Act a, T y) {
  switch (a) {
    case Act::tanh: return T(1) - y * y;
    case Act::sigmoid: return y * (T(1) - y);
    case Act::relu: return y > T(0) ? T(1) : T(0);
    case Act::hard_sigmoid: return y > T(0) && y < T(1) ? T(1) / T(6) : T(0);
    case Act::linear: break;
  }
  return T(1);
}

// g[i] *= act'(y[i]), y = act(x): the switch outside the loops, so that each loop vectorizes.
template <class T>
__attribute__((always_inline)) inline void mul_act_d(Act a, const T* y, T* g, int64_t n) {
  switch (a) {
    case Act::tanh:
      for (int64_t i = 0; i < n; ++i) g[i] *= T(1) - y[i] * y[i];
      return;
    case Act::sigmoid:
      for (int64_t i = 0; i < n; ++i) g[i] *= y[i] * (T(1) - y[i]);
      return;
    case Act::relu:
      for (int64_t i = 0; i < n; ++i) g[i] = y[i] > T(0) ? g[i] : T(0);
      return;
    case Act::hard_sigmoid:
      for (int64_t i = 0; i < n; ++i) g[i] = y[i] > T(0) && y[i] < T(1) ? g[i] / T(6) : T(0);
      return;
    case Act::linear: return;
  }
}

// One LSTM row's step back: dh (this step's dL/dh so far) takes the output's gradient go and the carried
// dcarry (both then spent: dh and dcarry are left zero); the gates' pre-activation gradient goes to dg (i, f,
// c, o) and the carry's to dc. sa: the activated gates, tc: act(c), c_prev: c before the step; dtc: scratch [H].
// Every pointer is its own buffer: restrict lets GCC vectorize the five-stream loop (it kept it scalar).
template <class T>
__attribute__((always_inline)) inline void lstm_backward_row_t(Act act, Act ract, int64_t H, const T* __restrict go,
                                                               T* __restrict dh, T* __restrict dcarry,
                                                               const T* __restrict sa, const T* __restrict tc,
                                                               const T* __restrict c_prev, T* __restrict dc,
                                                               T* __restrict dtc, T* __restrict dg) {
  for (int64_t j = 0; j < H; ++j) {
    dh[j] += go[j] + dcarry[j];
    dcarry[j] = T(0);
  }
  for (int64_t j = 0; j < H; ++j) {
    dg[3 * H + j] = dh[j] * tc[j];  // o
    dtc[j] = dh[j] * sa[3 * H + j];
  }
  mul_act_d(act, tc, dtc, H);
  for (int64_t j = 0; j < H; ++j) {
    const T dct = dc[j] + dtc[j];
    dg[j] = dct * sa[2 * H + j];      // i
    dg[H + j] = dct * c_prev[j];      // f
    dg[2 * H + j] = dct * sa[j];      // c
    dc[j] = dct * sa[H + j];
    dh[j] = T(0);
  }
  mul_act_d(ract, sa, dg, 2 * H);
  mul_act_d(act, sa + 2 * H, dg + 2 * H, H);
  mul_act_d(ract, sa + 3 * H, dg + 3 * H, H);
}
inline void lstm_backward_row(Act act, Act ract, int64_t H, const float* go, float* dh, float* dcarry,
                              const float* sa, const float* tc, const float* c_prev, float* dc, float* dtc,
                              float* dg) {
  run_at_best_isa<lstm_backward_row_t<float>>(act, ract, H, go, dh, dcarry, sa, tc, c_prev, dc, dtc, dg);
}
inline void lstm_backward_row(Act act, Act ract, int64_t H, const double* go, double* dh, double* dcarry,
                              const double* sa, const double* tc, const double* c_prev, double* dc, double* dtc,
                              double* dg) {
  lstm_backward_row_t(act, ract, H, go, dh, dcarry, sa, tc, c_prev, dc, dtc, dg);
}

const char* cell_name(RecurrentCell c) {
  switch (c) {
    case RecurrentCell::simple_rnn: return "simple_rnn";
    case RecurrentCell::lstm: return "lstm";
    case RecurrentCell::gru: return "gru";
  }
  return "recurrent";
}

int gates_of(RecurrentCell c) { return c == RecurrentCell::lstm ? 4 : c == RecurrentCell::gru ? 3 : 1; }

// A contiguous 2-d view of a contiguous tensor's storage (no autograd).
Tensor view2(const Tensor& t, int64_t rows, int64_t cols, int64_t offset_elems = 0) {
  return make_view(t, Shape{rows, cols}, Shape{cols, 1}, t.offset() + offset_elems);
}
Tensor view1(const Tensor& t, int64_t n, int64_t offset_elems = 0) {
  return make_view(t, Shape{n}, Shape{1}, t.offset() + offset_elems);
}

// C = A B + bias (float64's GEMM has no fused bias: added here).
void gemm_bias(const Tensor& A, const Tensor& B, Tensor& C, const Tensor& bias) {
  if (!bias.defined() || C.dtype() == f32) {
    kernels::gemm(A, false, B, false, C, bias);
    return;
  }
  kernels::gemm(A, false, B, false, C);
  double* c = C.data<double>();
  const double* b = bias.data<double>();
  const int64_t m = C.size(0), n = C.size(1);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) c[i * n + j] += b[j];
}

// Column sums of a contiguous [rows, cols] matrix into out[cols].
template <class T>
void column_sums(const T* a, int64_t rows, int64_t cols, T* out) {
  for (int64_t j = 0; j < cols; ++j) out[j] = T(0);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) out[j] += a[i * cols + j];
}

struct Dims {
  RecurrentCell cell;
  int64_t N, T, F, H, G, S;  // batch, steps, features, units, gates, final states
  Act act, ract;
  bool back, zero_out;
  int64_t step_time(int64_t s) const { return back ? T - 1 - s : s; }
};

// What forward keeps for backward, all [N, T, ...] in input time order (row n * T + t).
struct Saved {
  Tensor act;   // activated gates [N*T, G*H] (SimpleRNN: h; LSTM: i, f, g, o; GRU: z, r, hh)
  Tensor hp;    // the state fed to the recurrent kernel (after recurrent dropout) [N*T, H]
  Tensor aux1;  // LSTM: c before the step; GRU: the recurrent h-part before the reset gate (rh) [N*T, H]
  Tensor aux2;  // LSTM: act(c) after the step; GRU: the state before the step (without dropout) [N*T, H]
};

template <class T>
void forward(const Dims& d, const Tensor& x, const Tensor& W, const Tensor& U, const Tensor& b, const Tensor& h0,
             const Tensor& c0, const std::vector<uint8_t>& mask, const Tensor& rd, Tensor& Y, Saved* sv) {
  const int64_t N = d.N, TT = d.T, H = d.H, GH = d.G * d.H, TS = d.T + d.S;
  const DType dt = x.dtype();
  const bool gru = d.cell == RecurrentCell::gru, lstm = d.cell == RecurrentCell::lstm;
  // The input projection of every timestep at once; GRU's recurrent bias goes with the recurrent GEMM instead.
  Tensor XP = make_tensor(Shape{N * TT, GH}, dt);
  Tensor b_in = b.defined() ? view1(b, GH) : Tensor(), b_rec = gru && b.defined() ? view1(b, GH, GH) : Tensor();
  gemm_bias(view2(x, N * TT, d.F), W, XP, b_in);

  Tensor h = h0.defined() ? h0.clone() : Tensor::zeros(Shape{N, H}, dt);
  Tensor c = lstm ? (c0.defined() ? c0.clone() : Tensor::zeros(Shape{N, H}, dt)) : Tensor();
  Tensor hd = rd.defined() ? make_tensor(Shape{N, H}, dt) : h;  // the state the recurrent kernel sees
  Tensor gs = make_tensor(Shape{N, GH}, dt);                   // this step's gates (GRU: recurrent part)
  // Without saving (inference), this step's activated gates and (LSTM) act(c); with it, they go to the saved arrays.
  Tensor abuf = sv ? Tensor() : make_tensor(Shape{N, GH}, dt);
  Tensor tbuf = lstm && !sv ? make_tensor(Shape{N, H}, dt) : Tensor();
  T* ab = abuf.defined() ? abuf.data<T>() : nullptr;
  T* tb = tbuf.defined() ? tbuf.data<T>() : nullptr;
  T* hp = h.data<T>();
  T* cp = lstm ? c.data<T>() : nullptr;
  T* hdp = hd.data<T>();
  const T* rdp = rd.defined() ? rd.data<T>() : nullptr;
  T* g = gs.data<T>();
  const T* xp = XP.data<T>();
  T* y = Y.data<T>();
  T* s_act = sv ? sv->act.data<T>() : nullptr;
  T* s_hp = sv ? sv->hp.data<T>() : nullptr;
  T* s_a1 = sv && sv->aux1.defined() ? sv->aux1.data<T>() : nullptr;
  T* s_a2 = sv && sv->aux2.defined() ? sv->aux2.data<T>() : nullptr;

  for (int64_t s = 0; s < TT; ++s) {
    const int64_t t = d.step_time(s);
    if (rdp)
      for (int64_t i = 0; i < N * H; ++i) hdp[i] = hp[i] * rdp[i];
    // The recurrent part alone; the rows below add the input projection as they activate the gates (adding it
    // here first cost a copy of every step's projection).
    gemm_bias(hd, U, gs, b_rec);
    parallel_for(0, N, GH * 4, [&](int64_t n0, int64_t n1) {
      for (int64_t n = n0; n < n1; ++n) {
        T* out = y + (n * TS + s) * H;
        if (!mask.empty() && !mask[n * TT + t]) {  // keep the states; repeat the previous output (or zeros)
          if (d.zero_out || s == 0) std::fill(out, out + H, T(0));
          else std::memcpy(out, out - H, sizeof(T) * H);
          continue;
        }
        const int64_t row = n * TT + t;
        const T* gn = g + n * GH;
        const T* xr = xp + row * GH;  // the input projection
        T* hn = hp + n * H;
        if (s_hp) std::memcpy(s_hp + row * H, hdp + n * H, sizeof(T) * H);
        // This row's activated gates, written where backward reads them when it will run.
        T* a = s_act ? s_act + row * GH : ab + n * GH;
        if (d.cell == RecurrentCell::simple_rnn) {
          act_sum(d.act, xr, gn, a, H);
          std::memcpy(hn, a, sizeof(T) * H);
          std::memcpy(out, a, sizeof(T) * H);
        } else if (lstm) {
          lstm_forward_row(d.act, d.ract, H, xr, gn, a, cp + n * H, s_a1 ? s_a1 + row * H : nullptr,
                           s_a2 ? s_a2 + row * H : tb + n * H, hn, out);
        } else {  // GRU, reset after the recurrent matmul
          act_sum(d.ract, xr, gn, a, 2 * H);  // z, r
          for (int64_t j = 0; j < H; ++j) a[2 * H + j] = xr[2 * H + j] + a[H + j] * gn[2 * H + j];
          act_inplace(d.act, a + 2 * H, H);  // hh
          if (sv) {
            std::memcpy(s_a1 + row * H, gn + 2 * H, sizeof(T) * H);
            std::memcpy(s_a2 + row * H, hn, sizeof(T) * H);
          }
          for (int64_t j = 0; j < H; ++j) hn[j] = out[j] = a[j] * hn[j] + (T(1) - a[j]) * a[2 * H + j];
        }
      }
    });
  }
  for (int64_t n = 0; n < N; ++n) {
    std::memcpy(y + (n * TS + TT) * H, hp + n * H, sizeof(T) * H);
    if (lstm) std::memcpy(y + (n * TS + TT + 1) * H, cp + n * H, sizeof(T) * H);
  }
}

template <class T>
void backward(const Dims& d, const Tensor& gY, const Tensor& x, const Tensor& W, const Tensor& U, const Tensor& b,
              const std::vector<uint8_t>& mask, const Tensor& rd, const Saved& sv, const bool need[6],
              GradList& gi) {
  const int64_t N = d.N, TT = d.T, H = d.H, GH = d.G * d.H, TS = d.T + d.S;
  const DType dt = gY.dtype();
  const bool gru = d.cell == RecurrentCell::gru, lstm = d.cell == RecurrentCell::lstm;
  const T* gy = gY.data<T>();
  Tensor dh = make_tensor(Shape{N, H}, dt), dc = lstm ? make_tensor(Shape{N, H}, dt) : Tensor();
  T* dhp = dh.data<T>();
  T* dcp = lstm ? dc.data<T>() : nullptr;
  for (int64_t n = 0; n < N; ++n) {
    std::memcpy(dhp + n * H, gy + (n * TS + TT) * H, sizeof(T) * H);
    if (lstm) std::memcpy(dcp + n * H, gy + (n * TS + TT + 1) * H, sizeof(T) * H);
  }
  Tensor dcarry = Tensor::zeros(Shape{N, H}, dt);  // gradient reaching the previous step's output (masking)
  T* dcy = dcarry.data<T>();
  Tensor dGX = make_tensor(Shape{N * TT, GH}, dt);             // d(input-projection pre-activations)
  Tensor dGR = gru ? make_tensor(Shape{N * TT, GH}, dt) : dGX;  // d(recurrent pre-activations)
  Tensor dgs = make_tensor(Shape{N, GH}, dt), dhr = make_tensor(Shape{N, H}, dt);
  Tensor dtcb = lstm ? make_tensor(Shape{N, H}, dt) : Tensor();  // LSTM: d act(c)
  T* dtb = lstm ? dtcb.data<T>() : nullptr;
  T* dgx = dGX.data<T>();
  T* dgr = dGR.data<T>();
  T* dg = dgs.data<T>();
  T* dr = dhr.data<T>();
  const T* rdp = rd.defined() ? rd.data<T>() : nullptr;
  const T* sa_all = sv.act.data<T>();
  const T* a1 = sv.aux1.defined() ? sv.aux1.data<T>() : nullptr;
  const T* a2 = sv.aux2.defined() ? sv.aux2.data<T>() : nullptr;
  auto masked = [&](int64_t n, int64_t t) { return !mask.empty() && !mask[n * TT + t]; };

  for (int64_t s = TT - 1; s >= 0; --s) {
    const int64_t t = d.step_time(s);
    parallel_for(0, N, GH * 8, [&](int64_t n0, int64_t n1) {
      for (int64_t n = n0; n < n1; ++n) {
        const T* go = gy + (n * TS + s) * H;
        const int64_t row = n * TT + t;
        T* dgn = dg + n * GH;  // the recurrent pre-activations' gradient, then copied to its row of dGR
        T* dcn = dcy + n * H;
        if (masked(n, t)) {  // the states pass through; the output was the previous output (or zeros)
          for (int64_t j = 0; j < H; ++j) dcn[j] = d.zero_out ? T(0) : dcn[j] + go[j];
          std::fill(dgn, dgn + GH, T(0));
          std::fill(dgx + row * GH, dgx + (row + 1) * GH, T(0));
          if (gru) std::fill(dgr + row * GH, dgr + (row + 1) * GH, T(0));
          continue;
        }
        // Straight loops per cell (the activation derivatives through mul_act_d), so that they vectorize.
        const T* sa = sa_all + row * GH;
        T* dhn = dhp + n * H;  // becomes this step's total dL/dh, then the part reaching h_{t-1} directly
        T* dx = dgx + row * GH;
        if (lstm) {
          lstm_backward_row(d.act, d.ract, H, go, dhn, dcn, sa, a2 + row * H, a1 + row * H, dcp + n * H,
                            dtb + n * H, dgn);
          std::memcpy(dx, dgn, sizeof(T) * GH);
          continue;
        }
        for (int64_t j = 0; j < H; ++j) {
          dhn[j] += go[j] + dcn[j];
          dcn[j] = T(0);
        }
        if (d.cell == RecurrentCell::simple_rnn) {
          std::memcpy(dgn, dhn, sizeof(T) * H);
          std::fill(dhn, dhn + H, T(0));
          mul_act_d(d.act, sa, dgn, H);
          std::memcpy(dx, dgn, sizeof(T) * GH);
        } else {  // GRU: dgn is the recurrent part's gradient, dx the input projection's
          const T* rh = a1 + row * H;
          const T* hprev = a2 + row * H;
          for (int64_t j = 0; j < H; ++j) {
            dgn[j] = dhn[j] * (hprev[j] - sa[2 * H + j]);  // z
            dx[2 * H + j] = dhn[j] * (T(1) - sa[j]);      // hh
            dhn[j] *= sa[j];
          }
          mul_act_d(d.act, sa + 2 * H, dx + 2 * H, H);
          for (int64_t j = 0; j < H; ++j) {
            dgn[H + j] = dx[2 * H + j] * rh[j];           // r
            dgn[2 * H + j] = dx[2 * H + j] * sa[H + j];   // rh
          }
          mul_act_d(d.ract, sa, dgn, 2 * H);
          std::memcpy(dx, dgn, sizeof(T) * 2 * H);
          std::memcpy(dgr + row * GH, dgn, sizeof(T) * GH);
        }
      }
    });
    // The gradient reaching the previous state through U, from dgs (this step's rows, contiguous; each is also
    // copied to dGR): a strided view of dGR instead (rows a multiple of 4 KiB apart) made the LSTM's backward
    // pass 15% slower, more than the copies cost.
    kernels::gemm(dgs, false, U, true, dhr);
    for (int64_t n = 0; n < N; ++n) {
      if (masked(n, t)) continue;
      for (int64_t j = 0; j < H; ++j) dhp[n * H + j] += dr[n * H + j] * (rdp ? rdp[n * H + j] : T(1));
    }
  }
  // x, kernel, recurrent_kernel, bias, h0, c0
  if (need[0]) {
    gi[0] = make_tensor(x.shape(), dt);
    Tensor dx2 = view2(gi[0], N * TT, d.F);
    kernels::gemm(dGX, false, W, true, dx2);
  }
  if (need[1]) {
    gi[1] = make_tensor(W.shape(), dt);
    kernels::gemm(view2(x, N * TT, d.F), true, dGX, false, gi[1]);
  }
  if (need[2]) {
    gi[2] = make_tensor(U.shape(), dt);
    kernels::gemm(sv.hp, true, dGR, false, gi[2]);
  }
  if (need[3]) {
    gi[3] = make_tensor(b.shape(), dt);
    column_sums(dgx, N * TT, GH, gi[3].data<T>());
    if (gru) column_sums(dgr, N * TT, GH, gi[3].data<T>() + GH);
  }
  if (need[4]) gi[4] = dh;
  if (need[5]) gi[5] = dc;
}

}  // namespace

namespace detail {
CpuIsa limit_recurrent_isa(CpuIsa most) {
  g_isa.store(cpu_isa_at_most(most));
  return g_isa.load();
}
}  // namespace detail

bool is_recurrent_activation(const std::string& name) {
  Act a;
  return parse_act(name, a);
}

Tensor recurrent(RecurrentCell cell, const Tensor& x0, const Tensor& W0, const Tensor& U0, const Tensor& b0,
                 const Tensor& h00, const Tensor& c00, const Tensor& mask, const Tensor& rd0,
                 const RecurrentArgs& args) {
  const char* who = cell_name(cell);
  Dims d{};
  d.cell = cell;
  d.G = gates_of(cell);
  d.S = cell == RecurrentCell::lstm ? 2 : 1;
  d.back = args.go_backwards;
  d.zero_out = args.zero_output_for_mask;
  NABLA_CHECK(parse_act(args.activation, d.act), who, ": unsupported activation '", args.activation,
              "' (tanh, sigmoid, relu, hard_sigmoid, linear)");
  NABLA_CHECK(parse_act(args.recurrent_activation, d.ract), who, ": unsupported recurrent_activation '",
              args.recurrent_activation, "' (tanh, sigmoid, relu, hard_sigmoid, linear)");
  NABLA_CHECK_SHAPE(x0.dim() == 3, who, ": expects inputs of shape (batch, timesteps, features), got shape ",
                    x0.shape().str());
  d.N = x0.size(0), d.T = x0.size(1), d.F = x0.size(2);
  NABLA_CHECK_SHAPE(W0.dim() == 2 && W0.size(0) == d.F && W0.size(1) % d.G == 0, who, ": kernel of shape ",
                    W0.shape().str(), " does not fit inputs with ", d.F, " features and ", d.G, " gates");
  d.H = W0.size(1) / d.G;
  const int64_t GH = d.G * d.H;
  NABLA_CHECK_SHAPE(U0.dim() == 2 && U0.size(0) == d.H && U0.size(1) == GH, who, ": recurrent_kernel has shape ",
                    U0.shape().str(), ", expected (", d.H, ", ", GH, ")");
  const Shape bias_shape = cell == RecurrentCell::gru ? Shape{2, GH} : Shape{GH};
  NABLA_CHECK_SHAPE(!b0.defined() || b0.shape() == bias_shape, who, ": bias has shape ",
                    b0.defined() ? b0.shape().str() : "", ", expected ", bias_shape.str());
  for (const Tensor* s : {&h00, &c00, &rd0})
    NABLA_CHECK_SHAPE(!s->defined() || s->shape() == Shape({d.N, d.H}), who, ": initial state of shape ",
                      s->defined() ? s->shape().str() : "", " does not fit batch ", d.N, " and ", d.H, " units");
  NABLA_CHECK(!c00.defined() || cell == RecurrentCell::lstm, who, ": only LSTM has a carry state");
  NABLA_CHECK_SHAPE(!mask.defined() || mask.shape() == Shape({d.N, d.T}), who, ": mask of shape ",
                    mask.defined() ? mask.shape().str() : "", " does not fit inputs of shape ", x0.shape().str());
  const DType dt = x0.dtype();
  NABLA_CHECK(dt == f32 || dt == f64, who, ": supports float32 and float64 inputs, got ", dtype_name(dt));
  for (const Tensor* t : {&W0, &U0, &b0, &h00, &c00, &rd0})
    NABLA_CHECK(!t->defined() || t->dtype() == dt, who, ": all tensors must be ", dtype_name(dt), ", got ",
                dtype_name(t->dtype()));
  NABLA_CHECK(d.T > 0, who, ": the sequence has no timesteps");

  std::vector<uint8_t> m;
  if (mask.defined()) {
    Tensor mf = mask.detach().to(f64).contiguous();
    const double* p = mf.data<double>();
    m.resize(size_t(mf.numel()));
    for (size_t i = 0; i < m.size(); ++i) m[i] = p[i] != 0;
  }
  Tensor x = x0.detach().contiguous(), W = W0.detach().contiguous(), U = U0.detach().contiguous();
  Tensor b = b0.defined() ? b0.detach().contiguous() : Tensor();
  Tensor h0 = h00.defined() ? h00.detach().contiguous() : Tensor();
  Tensor c0 = c00.defined() ? c00.detach().contiguous() : Tensor();
  Tensor rd = rd0.defined() ? rd0.detach().contiguous() : Tensor();

  const bool need_grad = autograd::any_requires_grad({&x0, &W0, &U0, &b0, &h00, &c00});
  auto sv = std::make_shared<Saved>();
  if (need_grad) {
    const int64_t rows = d.N * d.T;
    sv->act = make_tensor(Shape{rows, GH}, dt);
    // Unmasked rows are written by forward; masked rows must not hold garbage for the kernel's gradient GEMM.
    sv->hp = m.empty() ? make_tensor(Shape{rows, d.H}, dt) : Tensor::zeros(Shape{rows, d.H}, dt);
    if (cell != RecurrentCell::simple_rnn) {
      sv->aux1 = make_tensor(Shape{rows, d.H}, dt);
      sv->aux2 = make_tensor(Shape{rows, d.H}, dt);
    }
  }
  Tensor Y = make_tensor(Shape{d.N, d.T + d.S, d.H}, dt);
  NABLA_DISPATCH_FLOAT(dt, T, { forward<T>(d, x, W, U, b, h0, c0, m, rd, Y, need_grad ? sv.get() : nullptr); });

  return record(Y, who, {&x0, &W0, &U0, &b0, &h00, &c00}, [&] {
    bool need[6];
    const Tensor* ins[6] = {&x0, &W0, &U0, &b0, &h00, &c00};
    for (int i = 0; i < 6; ++i) need[i] = ins[i]->defined() && ins[i]->requires_grad();
    return [d, x, W, U, b, m = std::move(m), rd, sv, n0 = need[0], n1 = need[1], n2 = need[2], n3 = need[3],
            n4 = need[4], n5 = need[5]](const Tensor& g0, GradList& gi) {
      const bool nd[6] = {n0, n1, n2, n3, n4, n5};
      Tensor g = g0.contiguous();
      NABLA_DISPATCH_FLOAT(g.dtype(), T, { backward<T>(d, g, x, W, U, b, m, rd, *sv, nd, gi); });
    };
  });
}

Tensor simple_rnn(const Tensor& x, const Tensor& kernel, const Tensor& recurrent_kernel, const Tensor& bias,
                  const Tensor& h0, const Tensor& mask, const RecurrentArgs& args) {
  return recurrent(RecurrentCell::simple_rnn, x, kernel, recurrent_kernel, bias, h0, Tensor(), mask, Tensor(), args);
}

Tensor lstm(const Tensor& x, const Tensor& kernel, const Tensor& recurrent_kernel, const Tensor& bias,
            const Tensor& h0, const Tensor& c0, const Tensor& mask, const RecurrentArgs& args) {
  return recurrent(RecurrentCell::lstm, x, kernel, recurrent_kernel, bias, h0, c0, mask, Tensor(), args);
}

Tensor gru(const Tensor& x, const Tensor& kernel, const Tensor& recurrent_kernel, const Tensor& bias,
           const Tensor& h0, const Tensor& mask, const RecurrentArgs& args) {
  return recurrent(RecurrentCell::gru, x, kernel, recurrent_kernel, bias, h0, Tensor(), mask, Tensor(), args);
}

}  // namespace nabla
