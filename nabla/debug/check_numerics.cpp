#include "nabla/debug/check_numerics.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "nabla/autograd/node.h"

namespace nabla::debug {

std::string unravel(int64_t flat, const Shape& shape) {
  std::string r = "[";
  std::vector<int64_t> idx(static_cast<size_t>(shape.size()));
  for (int d = shape.size() - 1; d >= 0; --d) {
    int64_t n = shape[d] > 0 ? shape[d] : 1;
    idx[size_t(d)] = flat % n;
    flat /= n;
  }
  for (size_t d = 0; d < idx.size(); ++d) r += (d ? ", " : "") + std::to_string(idx[d]);
  return r + "]";
}

namespace {
template <class U>
bool exponent_all_ones_free(const U* p, int64_t n, U mask) {
  U bad = 0;
  for (int64_t i = 0; i < n; ++i) bad |= U((p[i] & mask) == mask);
  return bad == 0;
}
}  // namespace

bool all_finite(const Tensor& t0) {
  if (!t0.defined() || !is_floating(t0.dtype())) return true;
  Tensor t = t0.contiguous();
  if (t.dtype() == f32)
    return exponent_all_ones_free(static_cast<const uint32_t*>(t.raw_data()), t.numel(), uint32_t(0x7f800000u));
  return exponent_all_ones_free(static_cast<const uint64_t*>(t.raw_data()), t.numel(),
                                uint64_t(0x7ff0000000000000ull));
}

TensorSummary summarize(const Tensor& t0) {
  TensorSummary s;
  if (!t0.defined()) return s;
  Tensor t = t0.contiguous();
  s.numel = t.numel();
  double lo = std::numeric_limits<double>::infinity(), hi = -lo, sum = 0;
  NABLA_DISPATCH_ALL(t.dtype(), T, {
    const T* p = t.data<T>();
    for (int64_t i = 0; i < s.numel; ++i) {
      double v = double(p[i]);
      if (std::isfinite(v)) {
        ++s.finite;
        sum += v;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
        continue;
      }
      if (s.first_bad < 0) s.first_bad = i;
      if (std::isnan(v)) ++s.nan;
      else if (v > 0) ++s.pos_inf;
      else ++s.neg_inf;
    }
  });
  if (s.finite) {
    s.min = lo;
    s.max = hi;
    s.mean = sum / double(s.finite);
  }
  return s;
}

std::string TensorSummary::str(const Shape& shape) const {
  char buf[200];
  std::string r;
  if (!ok()) {
    std::snprintf(buf, sizeof buf, "NaN: %lld, +Inf: %lld, -Inf: %lld, first bad index: %lld ", (long long)nan,
                  (long long)pos_inf, (long long)neg_inf, (long long)first_bad);
    r = buf + unravel(first_bad, shape) + "; ";
  }
  if (finite == 0) return r + "no finite values";
  std::snprintf(buf, sizeof buf, "finite: %lld values in [%.6g, %.6g], mean %.6g", (long long)finite, min, max, mean);
  return r + buf;
}

std::string describe(const Tensor& t) {
  if (!t.defined()) return "(undefined)";
  return t.shape().str() + " " + dtype_name(t.dtype()) + " " + summarize(t).str(t.shape());
}

namespace {
void throw_if_bad(const Tensor& t, const std::string& message, const char* what) {
  if (all_finite(t)) return;
  TensorSummary s = summarize(t);
  std::string path;
  if (const auto& sc = autograd::NameScope::current()) path = *sc;
  throw NumericsError("check_numerics: " + message + ": " + what + " has non-finite values: " + s.str(t.shape()) +
                          " (shape " + t.shape().str() + ")",
                      "check_numerics", path, "check");
}
}  // namespace

Tensor check_numerics(const Tensor& t, const std::string& message) {
  throw_if_bad(t, message, "tensor");
  // A new handle on the same storage: record() attaches a node to it without touching t's own history.
  Tensor out = t.detach();
  return autograd::record(out, "check_numerics", {&t}, [&] {
    return [message](const Tensor& g, autograd::GradList& gi) {
      throw_if_bad(g, message, "gradient");
      gi[0] = g;
    };
  });
}

}  // namespace nabla::debug
