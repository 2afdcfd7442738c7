#include "nabla/optim/optimizer.h"

#include <atomic>
#include <cmath>

#include "nabla/autograd/grad_mode.h"
#include "nabla/optim/update_loop.h"

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
    update_loop(p.numel(), 4, [&](int64_t s, int64_t e) {
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
  if (grads0.size() != params.size())
    throw ValueError(detail::concat("apply_gradients: ", grads0.size(), " gradients for ", params.size(),
                                    " parameters"));
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
    update(p, g.is_contiguous() ? g : g.contiguous(), state_of(p).slots.data(), lr);
  }
  ++iterations_;
  if (StepObserver* obs = step_observer()) obs->on_step(*this, params);
}

std::vector<std::string> Optimizer::slot_names() const {
  std::vector<std::string> r;
  for (const auto& group : slot_groups()) r.insert(r.end(), group.begin(), group.end());
  return r;
}

const Optimizer::ParamState* Optimizer::find_state(const Tensor& param) const {
  auto it = index_.find(param.impl());
  if (it == index_.end()) return nullptr;
  const ParamState& s = states_[it->second];
  // An expired entry at this address belonged to a parameter that has died; param is a different tensor.
  return s.param.expired() ? nullptr : &s;
}

Optimizer::ParamState& Optimizer::state_of(const Tensor& param) {
  if (!param.defined())
    throw ValueError(detail::concat("optimizer ", name_, ": undefined parameter"));
  auto it = index_.find(param.impl());
  if (it != index_.end()) {
    ParamState& s = states_[it->second];
    if (!s.param.expired()) {
      NABLA_CHECK_SHAPE(s.slots.empty() || (s.slots[0].shape() == param.shape() &&
                                            s.slots[0].dtype() == param.dtype()),
                        "optimizer ", name_, ": a parameter changed from shape ", s.slots[0].shape().str(), " to ",
                        param.shape().str(), " between steps");
      return s;
    }
  }
  // A parameter seen for the first time (or a new tensor at a dead one's address). Forget the state of
  // parameters that have died, so the table does not grow with discarded layers.
  std::vector<ParamState> live;
  live.reserve(states_.size() + 1);
  for (ParamState& s : states_)
    if (!s.param.expired()) live.push_back(std::move(s));
  states_ = std::move(live);
  ParamState fresh{param.impl_ptr(), {}};
  for (size_t k = 0, n = slot_names().size(); k < n; ++k)
    fresh.slots.push_back(Tensor::zeros(param.shape(), param.dtype()));
  states_.push_back(std::move(fresh));
  index_.clear();
  for (size_t i = 0; i < states_.size(); ++i) index_[states_[i].param.lock().get()] = i;
  return states_.back();
}

void Optimizer::build(const std::vector<Tensor>& params) {
  for (const Tensor& p : params) state_of(p);
}

std::vector<std::pair<std::string, Tensor>> Optimizer::variables_for(const Tensor& param) const {
  std::vector<std::pair<std::string, Tensor>> r;
  const ParamState* s = find_state(param);
  if (!s) return r;
  std::vector<std::string> names = slot_names();
  for (size_t k = 0; k < names.size(); ++k) r.emplace_back(names[k], s->slots[k]);
  return r;
}

std::vector<std::pair<std::string, Tensor>> Optimizer::variables(const std::vector<Tensor>& params) {
  build(params);
  std::vector<std::pair<std::string, Tensor>> r;
  r.emplace_back("iteration", Tensor::scalar(double(iterations_), i64));
  if (!opts_.schedule) r.emplace_back("learning_rate", Tensor::scalar(opts_.learning_rate, f32));
  size_t first = 0;  // position of the group's first slot within a parameter's slots
  for (const auto& group : slot_groups()) {
    for (const Tensor& p : params) {
      const ParamState& s = state_of(p);
      for (size_t k = 0; k < group.size(); ++k) r.emplace_back(group[k], s.slots[first + k]);
    }
    first += group.size();
  }
  return r;
}

void Optimizer::set_variables(const std::vector<Tensor>& params, const std::vector<Tensor>& values) {
  std::vector<std::pair<std::string, Tensor>> vars = variables(params);
  if (values.size() != vars.size())
    throw ValueError(detail::concat("optimizer ", name_, ": ", values.size(), " values given for its ", vars.size(),
                                    " variables (", params.size(), " parameters)"));
  for (size_t i = 0; i < vars.size(); ++i) {
    const auto& [name, t] = vars[i];
    NABLA_CHECK_SHAPE(values[i].defined() && values[i].numel() == t.numel(), "optimizer ", name_, ": variable ", i,
                      " ('", name, "') has shape ", t.shape().str(), ", the value given ",
                      values[i].defined() ? values[i].shape().str() : std::string("is undefined"));
  }
  for (size_t i = 0; i < vars.size(); ++i) {
    const auto& [name, t] = vars[i];
    if (i == 0)
      iterations_ = int64_t(values[i].item());
    else if (name == "learning_rate" && i == 1)
      opts_.learning_rate = values[i].item();
    else
      const_cast<Tensor&>(t).copy_(values[i].reshape(t.shape()));
  }
}

std::vector<Tensor> Optimizer::state_tensors() const {
  std::vector<Tensor> r;
  size_t first = 0;
  for (const auto& group : slot_groups()) {
    for (const ParamState& s : states_) {
      if (s.param.expired()) continue;
      for (size_t k = 0; k < group.size(); ++k) r.push_back(s.slots[first + k]);
    }
    first += group.size();
  }
  return r;
}

}  // namespace nabla::optim
