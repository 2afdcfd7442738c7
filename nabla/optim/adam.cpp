#include "nabla/optim/adam.h"

#include <cmath>

#include "nabla/core/cpu_isa.h"
#include "nabla/optim/update_loop.h"

namespace nabla::optim {

namespace {

// The float32 no-frills case is the hot loop of every Adam step: it runs as AVX2 where cpu_isa() allows
// (run_at_best_isa), while the default build stays portable x86-64.
__attribute__((always_inline)) inline void adam_f32(float* p, const float* g, float* m, float* v, int64_t n,
                                                    float b1, float b2, float alpha, float eps) {
  const float c1 = 1.0f - b1, c2 = 1.0f - b2;
  for (int64_t i = 0; i < n; ++i) {
    float mi = b1 * m[i] + c1 * g[i];
    float vi = b2 * v[i] + c2 * g[i] * g[i];
    m[i] = mi;
    v[i] = vi;
    p[i] -= alpha * mi / (std::sqrt(vi) + eps);
  }
}

// One Adam update over [s, e). The common case (no decay, no amsgrad) is a branch-free loop that the compiler
// vectorizes; the variants take their own loops rather than per-element branches.
template <class T>
struct AdamStep {
  T *p;
  const T* g;
  T *m, *v, *vmax;
  T b1, b2, alpha, eps;

  void run(int64_t s, int64_t e) const {
    const T c1 = T(1) - b1, c2 = T(1) - b2;
    if constexpr (std::is_same_v<T, float>) {
      if (!vmax) return run_at_best_isa<adam_f32>(p + s, g + s, m + s, v + s, e - s, b1, b2, alpha, eps);
    }
    if (!vmax) {
      for (int64_t i = s; i < e; ++i) {
        T mi = b1 * m[i] + c1 * g[i];
        T vi = b2 * v[i] + c2 * g[i] * g[i];
        m[i] = mi;
        v[i] = vi;
        p[i] -= alpha * mi / (std::sqrt(vi) + eps);
      }
    } else {
      for (int64_t i = s; i < e; ++i) {
        T mi = b1 * m[i] + c1 * g[i];
        T vi = b2 * v[i] + c2 * g[i] * g[i];
        m[i] = mi;
        v[i] = vi;
        T vm = vmax[i] > vi ? vmax[i] : vi;
        vmax[i] = vm;
        p[i] -= alpha * mi / (std::sqrt(vm) + eps);
      }
    }
  }
};

}  // namespace

Adam::Adam(AdamOptions opts, std::string name) : Optimizer(std::move(name), opts), a_(opts) {}

std::vector<std::vector<std::string>> Adam::slot_groups() const {
  if (a_.amsgrad) return {{"momentum", "velocity"}, {"velocity_hat"}};
  return {{"momentum", "velocity"}};
}

void Adam::update(Tensor& param, const Tensor& grad, Tensor* state, double lr) {
  NABLA_CHECK(param.is_contiguous(), "Adam: parameters must be contiguous");
  Tensor &m = state[0], &v = state[1];
  double t = double(iterations_ + 1);
  double alpha = lr * std::sqrt(1 - std::pow(a_.beta_2, t)) / (1 - std::pow(a_.beta_1, t));
  NABLA_DISPATCH_FLOAT(param.dtype(), T, {
    AdamStep<T> st{param.data<T>(), grad.data<T>(), m.data<T>(), v.data<T>(),
                   a_.amsgrad ? state[2].data<T>() : nullptr, T(a_.beta_1), T(a_.beta_2), T(alpha),
                   T(a_.epsilon)};
    update_loop(param.numel(), 64, [&](int64_t s, int64_t e) { st.run(s, e); });
  });
}

std::shared_ptr<Adam> AdamW(AdamOptions opts) { return std::make_shared<Adam>(opts, "AdamW"); }

}  // namespace nabla::optim
