#include "nabla/optim/adam.h"

#include <cmath>

#include "nabla/core/parallel.h"

namespace nabla::optim {

Adam::Adam(AdamOptions opts, std::string name) : Optimizer(std::move(name), opts), a_(opts) {}

std::vector<Tensor> Adam::state_tensors() const {
  std::vector<Tensor> r;
  for (const Tensor& t : m_) if (t.defined()) r.push_back(t);
  for (const Tensor& t : v_) if (t.defined()) r.push_back(t);
  for (const Tensor& t : vmax_) if (t.defined()) r.push_back(t);
  return r;
}

void Adam::update(size_t slot, Tensor& param, const Tensor& grad, double lr) {
  NABLA_CHECK(param.is_contiguous(), "Adam: parameters must be contiguous");
  if (m_.size() <= slot) {
    m_.resize(slot + 1);
    v_.resize(slot + 1);
    vmax_.resize(slot + 1);
  }
  if (!m_[slot].defined()) {
    m_[slot] = Tensor::zeros(param.shape(), param.dtype());
    v_[slot] = Tensor::zeros(param.shape(), param.dtype());
    if (a_.amsgrad) vmax_[slot] = Tensor::zeros(param.shape(), param.dtype());
  }
  NABLA_CHECK_SHAPE(m_[slot].shape() == param.shape(), "Adam: parameter ", slot, " changed shape from ",
                    m_[slot].shape().str(), " to ", param.shape().str(), " (pass the same parameter list each step)");
  double t = double(iterations_ + 1);
  double alpha = lr * std::sqrt(1 - std::pow(a_.beta_2, t)) / (1 - std::pow(a_.beta_1, t));
  NABLA_DISPATCH_FLOAT(param.dtype(), T, {
    T* p = param.data<T>();
    const T* g = grad.data<T>();
    T* m = m_[slot].data<T>();
    T* v = v_[slot].data<T>();
    T* vm = a_.amsgrad ? vmax_[slot].data<T>() : nullptr;
    const T b1 = T(a_.beta_1), b2 = T(a_.beta_2), c1 = T(1 - a_.beta_1), c2 = T(1 - a_.beta_2);
    const T al = T(alpha), eps = T(a_.epsilon), decay = T(lr * a_.weight_decay);
    parallel_for(0, param.numel(), 16, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) {
        if (decay != T(0)) p[i] -= decay * p[i];
        m[i] = b1 * m[i] + c1 * g[i];
        v[i] = b2 * v[i] + c2 * g[i] * g[i];
        T vv = v[i];
        if (vm) {
          vm[i] = vm[i] > vv ? vm[i] : vv;
          vv = vm[i];
        }
        p[i] -= al * m[i] / (std::sqrt(vv) + eps);
      }
    });
  });
}

std::shared_ptr<Adam> AdamW(AdamOptions opts) { return std::make_shared<Adam>(opts, "AdamW"); }

}  // namespace nabla::optim
