#include "nabla/nn/init.h"

#include <cmath>

#include "nabla/core/random.h"

namespace nabla::nn {

std::pair<double, double> compute_fans(const Shape& s) {
  if (s.size() == 0) return {1, 1};
  if (s.size() == 1) return {double(s[0]), double(s[0])};
  if (s.size() == 2) return {double(s[0]), double(s[1])};
  double receptive = 1;
  for (int i = 0; i < s.size() - 2; ++i) receptive *= double(s[i]);
  return {receptive * double(s[s.size() - 2]), receptive * double(s[s.size() - 1])};
}

namespace {
void fill_uniform(Tensor& t, double limit, Generator* gen) { t.copy_(Tensor::uniform(t.shape(), -limit, limit, t.dtype(), gen)); }
// Keras's "normal" variance-scaling draws from a normal truncated at two standard deviations, with the
// stddev corrected by 0.87962566 so the variance comes out right.
void fill_truncated_normal(Tensor& t, double stddev, Generator* gen) {
  Generator& g = gen ? *gen : default_generator();
  NABLA_DISPATCH_FLOAT(t.dtype(), T, {
    Tensor c = Tensor::empty(t.shape(), t.dtype());
    T* p = c.data<T>();
    for (int64_t i = 0; i < c.numel(); ++i) {
      double v;
      do v = g.normal(); while (std::abs(v) > 2.0);
      p[i] = T(v * stddev);
    }
    t.copy_(c);
  });
}
Initializer variance_scaling(double scale, int mode /*0 fan_in,1 fan_out,2 avg*/, bool uniform, Generator* gen) {
  return [=](Tensor& t) {
    auto [fi, fo] = compute_fans(t.shape());
    double n = mode == 0 ? fi : mode == 1 ? fo : (fi + fo) / 2;
    double var = scale / std::max(1.0, n);
    if (uniform)
      fill_uniform(t, std::sqrt(3.0 * var), gen);
    else
      fill_truncated_normal(t, std::sqrt(var) / 0.87962566103423978, gen);
  };
}
}  // namespace

Initializer glorot_uniform(Generator* g) { return variance_scaling(1.0, 2, true, g); }
Initializer glorot_normal(Generator* g) { return variance_scaling(1.0, 2, false, g); }
Initializer he_normal(Generator* g) { return variance_scaling(2.0, 0, false, g); }
Initializer he_uniform(Generator* g) { return variance_scaling(2.0, 0, true, g); }
Initializer lecun_normal(Generator* g) { return variance_scaling(1.0, 0, false, g); }
Initializer lecun_uniform(Generator* g) { return variance_scaling(1.0, 0, true, g); }
Initializer random_normal(double mean, double stddev, Generator* g) {
  return [=](Tensor& t) { t.copy_(Tensor::normal(t.shape(), mean, stddev, t.dtype(), g)); };
}
Initializer random_uniform(double lo, double hi, Generator* g) {
  return [=](Tensor& t) { t.copy_(Tensor::uniform(t.shape(), lo, hi, t.dtype(), g)); };
}
Initializer constant(double v) { return [v](Tensor& t) { t.fill_(v); }; }
Initializer zeros() { return constant(0); }
Initializer ones() { return constant(1); }

Initializer initializer(const std::string& n) {
  if (n == "glorot_uniform") return glorot_uniform();
  if (n == "glorot_normal") return glorot_normal();
  if (n == "he_normal") return he_normal();
  if (n == "he_uniform") return he_uniform();
  if (n == "lecun_normal") return lecun_normal();
  if (n == "lecun_uniform") return lecun_uniform();
  if (n == "random_normal") return random_normal();
  if (n == "random_uniform") return random_uniform();
  if (n == "zeros") return zeros();
  if (n == "ones") return ones();
  throw ValueError("unknown initializer '" + n +
                   "' (known: glorot_uniform, glorot_normal, he_normal, he_uniform, lecun_normal, lecun_uniform, "
                   "random_normal, random_uniform, zeros, ones)");
}

}  // namespace nabla::nn
