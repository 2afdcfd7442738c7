#include "nabla/optim/sgd.h"

#include "nabla/optim/update_loop.h"

namespace nabla::optim {

SGD::SGD(SGDOptions opts) : Optimizer("SGD", opts), s_(opts) {
  if (!(s_.momentum >= 0 && s_.momentum <= 1))
    throw ValueError(detail::concat("SGD: momentum must be in [0, 1], got ", s_.momentum));
}

SGD::SGD(double lr, double momentum, bool nesterov)
    : SGD([&] {
        SGDOptions o;
        o.learning_rate = lr;
        o.momentum = momentum;
        o.nesterov = nesterov;
        return o;
      }()) {}

std::vector<std::vector<std::string>> SGD::slot_groups() const {
  if (s_.momentum == 0) return {};
  return {{"momentum"}};
}

void SGD::update(Tensor& param, const Tensor& grad, Tensor* state, double lr) {
  NABLA_DISPATCH_FLOAT(param.dtype(), T, {
    T* p = param.data<T>();
    const T* g = grad.data<T>();
    const T l = T(lr);
    if (s_.momentum == 0) {
      update_loop(param.numel(), 4, [&](int64_t s, int64_t e) {
        for (int64_t i = s; i < e; ++i) p[i] -= l * g[i];
      });
    } else {
      T* v = state[0].data<T>();
      const T mom = T(s_.momentum);
      const bool nest = s_.nesterov;
      update_loop(param.numel(), 8, [&](int64_t s, int64_t e) {
        for (int64_t i = s; i < e; ++i) {
          v[i] = mom * v[i] - l * g[i];
          p[i] += nest ? mom * v[i] - l * g[i] : v[i];
        }
      });
    }
  });
}

}  // namespace nabla::optim
