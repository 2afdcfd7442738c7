#include "nabla/optim/optimizer.h"

#include <atomic>
#include <cmath>

#include "nabla/autograd/grad_mode.h"
#include "nabla/core/parallel.h"

namespace nabla::optim {
namespace {

std::atomic<StepObserver*> g_step_observer{nullptr};

double sum_squares(const Tensor& g) {
  double s = 0;
  NABLA_DISPATCH_FLOAT(g.dtype(), T, {
    const T* p = g.data<T>();
    for (int64_t i = 0; i < g.numel(); ++i) s += double(p[i]) * double(p[i]);
  });
  return s;
}

Tensor scaled(const Tensor& g, double k) {
  Tensor r = g.clone();
  NABLA_DISPATCH_FLOAT(r.dtype(), T, {
    T* p = r.data<T>();
    for (int64_t i = 0; i < r.numel(); ++i) p[i] = T(p[i] * k);
  });
  return r;
}

}  // namespace

void set_step_observer(StepObserver* obs) { g_step_observer.store(obs); }
StepObserver* step_observer() { return g_step_observer.load(std::memory_order_relaxed); }

double Optimizer::learning_rate() const { return opts_.schedule ? opts_.schedule(iterations_) : opts_.learning_rate; }

void Optimizer::set_learning_rate(double lr) {
  opts_.schedule = nullptr;
  opts_.learning_rate = lr;
}

void Optimizer::zero_grad(const std::vector<Tensor>& params) {
  for (const Tensor& p : params) const_cast<Tensor&>(p).zero_grad();
}

void Optimizer::exclude_from_weight_decay(const std::vector<Tensor>& var_list) {
  for (const Tensor& t : var_list) no_decay_.push_back(t.impl());
}

void Optimizer::apply_weight_decay(Tensor& p, double lr) const {
  // Keras 3's base optimizer (_apply_weight_decay): p -= p * weight_decay * lr, before the update step.
  if (opts_.weight_decay == 0 || std::find(no_decay_.begin(), no_decay_.end(), p.impl()) != no_decay_.end())
    return;
  NABLA_CHECK(p.is_contiguous(), "optimizer ", name_, ": weight decay needs contiguous parameters");
  NABLA_DISPATCH_FLOAT(p.dtype(), T, {
    T* x = p.data<T>();
    const T decay = T(lr * opts_.weight_decay);
    parallel_for(0, p.numel(), 4, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) x[i] -= decay * x[i];
    });
  });
}

void Optimizer::step(const std::vector<Tensor>& params) {
  std::vector<Tensor> grads;
  grads.reserve(params.size());
  for (const Tensor& p : params) grads.push_back(p.grad());
  apply_gradients(grads, params);
}

void Optimizer::apply_gradients(const std::vector<Tensor>& grads0, const std::vector<Tensor>& params) {
  NABLA_CHECK(grads0.size() == params.size(), "apply_gradients: ", grads0.size(), " gradients for ", params.size(),
              " parameters");
  NoGradGuard no_grad;
  double lr = learning_rate();
  const std::vector<Tensor>* grads = &grads0;
  std::vector<Tensor> clipped;
  if (opts_.clipvalue || opts_.clipnorm || opts_.global_clipnorm) {
    clipped = grads0;
    for (Tensor& g : clipped) {
      if (!g.defined()) continue;
      g = g.contiguous();
      if (opts_.clipvalue) {
        double v = *opts_.clipvalue;
        g = g.clone();
        NABLA_DISPATCH_FLOAT(g.dtype(), T, {
          T* p = g.data<T>();
          for (int64_t i = 0; i < g.numel(); ++i) p[i] = std::min(std::max(p[i], T(-v)), T(v));
        });
      }
      if (opts_.clipnorm) {
        double n = std::sqrt(sum_squares(g));
        if (n > *opts_.clipnorm) g = scaled(g, *opts_.clipnorm / n);
      }
    }
    if (opts_.global_clipnorm) {
      double total = 0;
      for (const Tensor& g : clipped)
        if (g.defined()) total += sum_squares(g);
      total = std::sqrt(total);
      if (total > *opts_.global_clipnorm)
        for (Tensor& g : clipped)
          if (g.defined()) g = scaled(g, *opts_.global_clipnorm / total);
    }
    grads = &clipped;
  }
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor& g = (*grads)[i];
    if (!g.defined()) continue;
    NABLA_CHECK_SHAPE(g.shape() == params[i].shape(), "optimizer ", name_, ": gradient of shape ", g.shape().str(),
                      " for parameter ", i, " of shape ", params[i].shape().str());
    Tensor p = params[i];
    apply_weight_decay(p, lr);
    update(i, p, g.is_contiguous() ? g : g.contiguous(), lr);
  }
  ++iterations_;
  if (StepObserver* obs = step_observer()) obs->on_step(*this, params);
}

}  // namespace nabla::optim
