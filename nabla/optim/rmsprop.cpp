#include "nabla/optim/rmsprop.h"

#include <cmath>

#include "nabla/optim/update_loop.h"

namespace nabla::optim {

RMSprop::RMSprop(RMSpropOptions opts) : Optimizer("RMSprop", opts), r_(opts) {
  if (!(r_.rho >= 0 && r_.rho < 1))
    throw ValueError(detail::concat("RMSprop: rho must be in [0, 1), got ", r_.rho));
  if (!(r_.momentum >= 0 && r_.momentum < 1))
    throw ValueError(detail::concat("RMSprop: momentum must be in [0, 1), got ", r_.momentum));
}

RMSprop::RMSprop(double lr)
    : RMSprop([&] {
        RMSpropOptions o;
        o.learning_rate = lr;
        return o;
      }()) {}

std::vector<std::vector<std::string>> RMSprop::slot_groups() const {
  std::vector<std::vector<std::string>> g{{"velocity"}};
  if (r_.momentum > 0) g.push_back({"momentum"});
  if (r_.centered) g.push_back({"average_gradient"});
  return g;
}

void RMSprop::update(Tensor& param, const Tensor& grad, Tensor* state, double lr) {
  NABLA_CHECK(param.is_contiguous(), "RMSprop: parameters must be contiguous");
  const size_t m_at = 1, a_at = r_.momentum > 0 ? 2 : 1;  // slot positions, as slot_groups() lists them
  NABLA_DISPATCH_FLOAT(param.dtype(), T, {
    T* p = param.data<T>();
    const T* g = grad.data<T>();
    T* v = state[0].data<T>();
    T* a = r_.centered ? state[a_at].data<T>() : nullptr;
    T* m = r_.momentum > 0 ? state[m_at].data<T>() : nullptr;
    const T rho = T(r_.rho), c = T(1 - r_.rho), eps = T(r_.epsilon), l = T(lr), mom = T(r_.momentum);
    update_loop(param.numel(), 16, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) {
        v[i] = rho * v[i] + c * g[i] * g[i];
        T denom = v[i] + eps;
        if (a) {
          a[i] = rho * a[i] + c * g[i];
          denom -= a[i] * a[i];
        }
        T inc = l * g[i] / std::sqrt(denom);
        if (m) {
          m[i] = mom * m[i] + inc;
          inc = m[i];
        }
        p[i] -= inc;
      }
    });
  });
}

}  // namespace nabla::optim
