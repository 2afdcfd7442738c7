#include "nabla/optim/sgd.h"

#include "nabla/core/parallel.h"

namespace nabla::optim {

SGD::SGD(SGDOptions opts) : Optimizer("SGD", opts), s_(opts) {
  NABLA_CHECK(s_.momentum >= 0 && s_.momentum <= 1, "SGD: momentum must be in [0, 1], got ", s_.momentum);
}

SGD::SGD(double lr, double momentum, bool nesterov)
    : SGD([&] {
        SGDOptions o;
        o.learning_rate = lr;
        o.momentum = momentum;
        o.nesterov = nesterov;
        return o;
      }()) {}

std::vector<Tensor> SGD::state_tensors() const {
  std::vector<Tensor> r;
  for (const Tensor& t : velocity_) if (t.defined()) r.push_back(t);
  return r;
}

void SGD::update(size_t slot, Tensor& param, const Tensor& grad, double lr) {
  NABLA_DISPATCH_FLOAT(param.dtype(), T, {
    T* p = param.data<T>();
    const T* g = grad.data<T>();
    const T l = T(lr);
    if (s_.momentum == 0) {
      parallel_for(0, param.numel(), 4, [&](int64_t s, int64_t e) {
        for (int64_t i = s; i < e; ++i) p[i] -= l * g[i];
      });
    } else {
      if (velocity_.size() <= slot) velocity_.resize(slot + 1);
      if (!velocity_[slot].defined()) velocity_[slot] = Tensor::zeros(param.shape(), param.dtype());
      T* v = velocity_[slot].data<T>();
      const T mom = T(s_.momentum);
      const bool nest = s_.nesterov;
      parallel_for(0, param.numel(), 8, [&](int64_t s, int64_t e) {
        for (int64_t i = s; i < e; ++i) {
          v[i] = mom * v[i] - l * g[i];
          p[i] += nest ? mom * v[i] - l * g[i] : v[i];
        }
      });
    }
  });
}

}  // namespace nabla::optim
