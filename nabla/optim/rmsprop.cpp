#include "nabla/optim/rmsprop.h"

#include <cmath>

#include "nabla/core/parallel.h"

namespace nabla::optim {

RMSprop::RMSprop(RMSpropOptions opts) : Optimizer("RMSprop", opts), r_(opts) {
  NABLA_CHECK(r_.rho >= 0 && r_.rho < 1, "RMSprop: rho must be in [0, 1), got ", r_.rho);
  NABLA_CHECK(r_.momentum >= 0 && r_.momentum < 1, "RMSprop: momentum must be in [0, 1), got ", r_.momentum);
}

RMSprop::RMSprop(double lr)
    : RMSprop([&] {
        RMSpropOptions o;
        o.learning_rate = lr;
        return o;
      }()) {}

std::vector<Tensor> RMSprop::state_tensors() const {
  std::vector<Tensor> r;
  for (const auto* list : {&velocity_, &average_grad_, &momentum_})
    for (const Tensor& t : *list)
      if (t.defined()) r.push_back(t);
  return r;
}

void RMSprop::update(size_t slot, Tensor& param, const Tensor& grad, double lr) {
  NABLA_CHECK(param.is_contiguous(), "RMSprop: parameters must be contiguous");
  if (velocity_.size() <= slot) {
    velocity_.resize(slot + 1);
    average_grad_.resize(slot + 1);
    momentum_.resize(slot + 1);
  }
  if (!velocity_[slot].defined()) {
    velocity_[slot] = Tensor::zeros(param.shape(), param.dtype());
    if (r_.centered) average_grad_[slot] = Tensor::zeros(param.shape(), param.dtype());
    if (r_.momentum > 0) momentum_[slot] = Tensor::zeros(param.shape(), param.dtype());
  }
  NABLA_CHECK_SHAPE(velocity_[slot].shape() == param.shape(), "RMSprop: parameter ", slot, " changed shape from ",
                    velocity_[slot].shape().str(), " to ", param.shape().str(),
                    " (pass the same parameter list each step)");
  NABLA_DISPATCH_FLOAT(param.dtype(), T, {
    T* p = param.data<T>();
    const T* g = grad.data<T>();
    T* v = velocity_[slot].data<T>();
    T* a = r_.centered ? average_grad_[slot].data<T>() : nullptr;
    T* m = r_.momentum > 0 ? momentum_[slot].data<T>() : nullptr;
    const T rho = T(r_.rho), c = T(1 - r_.rho), eps = T(r_.epsilon), l = T(lr), mom = T(r_.momentum);
    parallel_for(0, param.numel(), 16, [&](int64_t s, int64_t e) {
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
