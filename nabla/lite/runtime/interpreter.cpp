#include "nabla/lite/runtime/interpreter.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "nabla/core/error.h"
#include "nabla/core/parallel.h"
#include "nabla/kernels/dnnl_context.h"
#include "nabla/kernels/int8_conv.h"
#include "nabla/kernels/int8_matmul.h"
#include "nabla/kernels/int8_pooling.h"
#include "nabla/lite/runtime/nblite_format.h"

namespace nabla::lite {
namespace {

// Round to nearest even by the float magic number (exact for |v| < 2^22), so that the loops vectorize on plain
// x86-64 (no SSE4.1 round instruction); matches ONNX QuantizeLinear's rounding.
inline float round_even(float v) {
  constexpr float kMagic = 12582912.f;  // 1.5 * 2^23
  return (v + kMagic) - kMagic;
}

// q = saturate_u8(round_even(x / scale) + zero_point). On x86-64 with SSE2 (every x86-64 CPU): cvtps2dq rounds to
// nearest even, packssdw/packuswb saturate; GCC does not vectorize the scalar loop (min/max of floats stay
// branches without -ffast-math), and at MNIST sizes this loop would otherwise cost as much as the int8 GEMM.
// A float code to u8, saturating; NaN (an input NaN, or inf - inf from extreme scale ratios) becomes 0: the
// comparisons are written so that NaN fails them (std::min/max would pass it on, and NaN to int is undefined).
inline uint8_t to_u8(float v) {
  v = v > 0.f ? v : 0.f;
  v = v < 255.f ? v : 255.f;
  return uint8_t(int32_t(v));
}

void quantize_range(const float* x, int64_t n, QuantParams q, uint8_t* out) {
  const float inv = 1.f / q.scale, zp = float(q.zero_point);
  int64_t i = 0;
#ifdef __SSE2__
  const __m128 vinv = _mm_set1_ps(inv), lo = _mm_set1_ps(-1e6f), hi = _mm_set1_ps(1e6f);
  const __m128i vzp = _mm_set1_epi32(q.zero_point);
  auto codes = [&](const float* p) {
    const __m128 v = _mm_min_ps(_mm_max_ps(_mm_mul_ps(_mm_loadu_ps(p), vinv), lo), hi);
    return _mm_add_epi32(_mm_cvtps_epi32(v), vzp);
  };
  for (; i + 16 <= n; i += 16) {
    const __m128i a = _mm_packs_epi32(codes(x + i), codes(x + i + 4));
    const __m128i b = _mm_packs_epi32(codes(x + i + 8), codes(x + i + 12));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm_packus_epi16(a, b));
  }
#endif
  for (; i < n; ++i) {
    float v = x[i] * inv;
    v = v > -1e6f ? (v < 1e6f ? v : 1e6f) : -1e6f;  // NaN: -1e6, code 0 (as cvtps2dq's saturation gives)
    out[i] = to_u8(round_even(v) + zp);
  }
}

// The model input's quantization, over the threads from 64K values up: a batch of 256 MNIST images is 200K values,
// ~30 us on one thread beside a ~150 us int8 GEMM that runs on all of them (measured: the MLP's batch-256
// throughput at 2 threads went from 1.94x to 2.14x float32's).
void quantize(const float* x, int64_t n, QuantParams q, uint8_t* out) {
  constexpr int64_t kBlock = 4096;  // values per block (a multiple of the SIMD loop's 16)
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  // Grain: the ~1M units of work per thread that threads_for asks for, reached from 16 blocks (64K values).
  parallel_for(0, blocks, int64_t(1) << 17, [&](int64_t b0, int64_t b1) {
    const int64_t begin = b0 * kBlock, end = std::min(n, b1 * kBlock);
    quantize_range(x + begin, end - begin, q, out + begin);
  });
}

void dequantize(const uint8_t* q, int64_t n, QuantParams p, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = p.scale * (float(q[i]) - float(p.zero_point));
}

// y = requantize(x) from one scale and zero point to another.
void requantize(const uint8_t* x, int64_t n, QuantParams from, QuantParams to, uint8_t* y) {
  if (from.scale == to.scale && from.zero_point == to.zero_point) {
    std::memcpy(y, x, size_t(n));
    return;
  }
  const float m = from.scale / to.scale, zf = float(from.zero_point), zt = float(to.zero_point);
  for (int64_t i = 0; i < n; ++i) {
    y[i] = to_u8(round_even(m * (float(x[i]) - zf)) + zt);
  }
}

void softmax_rows(float* y, int64_t rows, int64_t n) {
  for (int64_t r = 0; r < rows; ++r) {
    float* p = y + r * n;
    float mx = *std::max_element(p, p + n);
    float sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += (p[i] = std::exp(p[i] - mx));
    const float inv = 1.f / sum;
    for (int64_t i = 0; i < n; ++i) p[i] *= inv;
  }
}

kernels::Int8ConvGeometry geometry(const QModel& m, const QOp& op) {
  const auto& x = m.tensors[size_t(op.inputs[0])].shape;
  const auto& y = m.tensors[size_t(op.output)].shape;
  kernels::Int8ConvGeometry g;
  g.h = x[0], g.w = x[1], g.c = x[2];
  g.kh = op.kh, g.kw = op.kw, g.o = y[2];
  g.sh = op.sh, g.sw = op.sw, g.dh = op.dh, g.dw = op.dw;
  g.pad_t = op.pad_t, g.pad_l = op.pad_l, g.pad_b = op.pad_b, g.pad_r = op.pad_r;
  g.oh = y[0], g.ow = y[1];
  return g;
}

}  // namespace

struct Interpreter::Impl {
  QModel m;
  std::vector<std::unique_ptr<kernels::Int8Matmul>> matmuls;  // per op (null where not Dense)
  std::vector<std::unique_ptr<kernels::Int8Conv2D>> convs;
  std::vector<std::unique_ptr<kernels::Int8Pool2D>> pools;
  std::vector<int32_t> alias;  // per tensor: the tensor whose buffer it shares (Reshape), or itself
  int threads = 0;
  // Activation buffers, reused across calls (one set per concurrent call).
  mutable std::mutex mu;
  mutable std::vector<std::vector<std::unique_ptr<uint8_t[]>>> free_sets;
  mutable std::vector<int64_t> free_batches;

  kernels::Int8Requant requant(const QOp& op) const {
    const QTensor& x = m.tensors[size_t(op.inputs[0])];
    const QTensor& y = m.tensors[size_t(op.output)];
    kernels::Int8Requant rq;
    rq.dst_f32 = y.is_float;
    rq.relu = op.relu;
    rq.src_zero_point = x.q.zero_point;
    rq.dst_zero_point = y.is_float ? 0 : y.q.zero_point;
    for (float sw : op.weight_scales) rq.out_scales.push_back(x.q.scale * sw / (y.is_float ? 1.f : y.q.scale));
    return rq;
  }
};

Interpreter::Interpreter(QModel model) : impl_(std::make_unique<Impl>()) {
  model.validate("lite::Interpreter: model '" + model.name + "'");
  Impl& s = *impl_;
  s.m = std::move(model);
  const QModel& m = s.m;
  s.matmuls.resize(m.ops.size());
  s.convs.resize(m.ops.size());
  s.pools.resize(m.ops.size());
  s.alias.resize(m.tensors.size());
  for (size_t t = 0; t < m.tensors.size(); ++t) s.alias[t] = int32_t(t);
  for (size_t i = 0; i < m.ops.size(); ++i) {
    const QOp& op = m.ops[i];
    switch (op.kind) {
      case OpKind::Dense:
        s.matmuls[i] = std::make_unique<kernels::Int8Matmul>(m.tensors[size_t(op.inputs[0])].shape.back(),
                                                             int64_t(op.weight_scales.size()), op.weights.data(),
                                                             op.bias, s.requant(op));
        break;
      case OpKind::Conv2D:
        s.convs[i] = std::make_unique<kernels::Int8Conv2D>(geometry(m, op), op.weights.data(), op.bias,
                                                           s.requant(op));
        break;
      case OpKind::MaxPooling2D:
      case OpKind::AveragePooling2D:
        s.pools[i] = std::make_unique<kernels::Int8Pool2D>(geometry(m, op), op.kind == OpKind::MaxPooling2D);
        break;
      case OpKind::Reshape:
        s.alias[size_t(op.output)] = s.alias[size_t(op.inputs[0])];
        break;
      default:
        break;
    }
  }
}

Interpreter Interpreter::from_file(const std::string& path) { return Interpreter(read_nblite(path)); }
Interpreter::Interpreter(Interpreter&&) noexcept = default;
Interpreter& Interpreter::operator=(Interpreter&&) noexcept = default;
Interpreter::~Interpreter() = default;

const QModel& Interpreter::model() const { return impl_->m; }
const std::vector<int64_t>& Interpreter::input_shape() const { return impl_->m.tensors[size_t(impl_->m.input)].shape; }
const std::vector<int64_t>& Interpreter::output_shape() const {
  return impl_->m.tensors[size_t(impl_->m.output)].shape;
}
int64_t Interpreter::input_size() const { return impl_->m.numel(impl_->m.input); }
int64_t Interpreter::output_size() const { return impl_->m.numel(impl_->m.output); }
void Interpreter::set_num_threads(int n) { impl_->threads = std::max(0, n); }

void Interpreter::invoke(const float* x, int64_t batch, float* y) const {
  NABLA_CHECK(batch >= 0, "lite::Interpreter: batch of ", batch);
  if (batch == 0) return;
  const Impl& s = *impl_;
  const QModel& m = s.m;
  // Buffers: one per tensor that owns bytes (u8: 1 byte, float output: 4 bytes per element).
  std::vector<std::unique_ptr<uint8_t[]>> bufs;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    for (size_t i = 0; i < s.free_sets.size(); ++i)
      if (s.free_batches[i] == batch) {
        bufs = std::move(s.free_sets[i]);
        s.free_sets.erase(s.free_sets.begin() + std::ptrdiff_t(i));
        s.free_batches.erase(s.free_batches.begin() + std::ptrdiff_t(i));
        break;
      }
  }
  if (bufs.empty()) {
    bufs.resize(m.tensors.size());
    for (size_t t = 0; t < m.tensors.size(); ++t)
      if (s.alias[t] == int32_t(t))
        bufs[t].reset(new uint8_t[size_t(batch * m.numel(int32_t(t)) * (m.tensors[t].is_float ? 4 : 1))]);
  }
  auto buf = [&](int32_t t) { return bufs[size_t(s.alias[size_t(t)])].get(); };
  std::unique_ptr<kernels::DnnlThreads> threads;
  if (s.threads > 0) threads = std::make_unique<kernels::DnnlThreads>(s.threads);

  quantize(x, batch * m.numel(m.input), m.tensors[size_t(m.input)].q, buf(m.input));
  for (size_t i = 0; i < m.ops.size(); ++i) {
    const QOp& op = m.ops[i];
    const QTensor& yt = m.tensors[size_t(op.output)];
    uint8_t* out = buf(op.output);
    switch (op.kind) {
      case OpKind::Dense: {
        const int64_t k = m.tensors[size_t(op.inputs[0])].shape.back();
        s.matmuls[i]->run(buf(op.inputs[0]), batch * m.numel(op.inputs[0]) / k, out);
        break;
      }
      case OpKind::Conv2D: s.convs[i]->run(buf(op.inputs[0]), batch, out); break;
      case OpKind::MaxPooling2D:
      case OpKind::AveragePooling2D: s.pools[i]->run(buf(op.inputs[0]), batch, out); break;
      case OpKind::Reshape: break;  // shares its input's bytes
      case OpKind::Add: {
        const int64_t n = batch * m.numel(op.output);
        std::vector<float> acc(size_t(n), 0.f);
        for (int32_t in : op.inputs) {
          const QuantParams q = m.tensors[size_t(in)].q;
          const float f = q.scale / yt.q.scale, z = float(q.zero_point);
          const uint8_t* a = buf(in);
          for (int64_t j = 0; j < n; ++j) acc[size_t(j)] += f * (float(a[j]) - z);
        }
        const float zo = float(yt.q.zero_point);
        for (int64_t j = 0; j < n; ++j)
          out[j] = to_u8(round_even(acc[size_t(j)]) + zo);
        break;
      }
      case OpKind::Concatenate: {
        const int64_t c_out = yt.shape.back(), rows = batch * m.numel(op.output) / c_out;
        int64_t off = 0;
        for (int32_t in : op.inputs) {
          const int64_t c = m.tensors[size_t(in)].shape.back();
          const uint8_t* a = buf(in);
          for (int64_t r = 0; r < rows; ++r) requantize(a + r * c, c, m.tensors[size_t(in)].q, yt.q, out + r * c_out + off);
          off += c;
        }
        break;
      }
    }
  }
  const QTensor& ot = m.tensors[size_t(m.output)];
  const int64_t n_out = batch * m.numel(m.output);
  if (ot.is_float)
    std::memcpy(y, buf(m.output), size_t(n_out) * sizeof(float));
  else
    dequantize(buf(m.output), n_out, ot.q, y);
  if (m.output_softmax) softmax_rows(y, n_out / ot.shape.back(), ot.shape.back());
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.free_sets.size() < 4) {
    s.free_sets.push_back(std::move(bufs));
    s.free_batches.push_back(batch);
  }
}

}  // namespace nabla::lite
