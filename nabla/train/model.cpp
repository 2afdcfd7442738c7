// Model: compile, the step on one batch (forward, loss, backward, update) and what it trains. The loops over
// many batches are in trainer.cpp.
#include "nabla/train/model.h"

#include "nabla/autograd/grad_mode.h"
#include "nabla/ops/math.h"
#include "nabla/ops/reduce.h"
#include "nabla/train/compile_utils.h"
#include "nabla/train/data_adapter.h"
#include "nabla/train/data_parallel.h"
#include "nabla/train/metric_trackers.h"

namespace nabla {

using callbacks::Logs;

double EvalResult::operator[](const std::string& key) const {
  for (const auto& [k, v] : values)
    if (k == key) return v;
  std::string known;
  for (const auto& [k, v] : values) known += (known.empty() ? "" : ", ") + k;
  throw ValueError("evaluate() has no value '" + key + "' (has: " + known + ")");
}

Tensor Model::operator()(const Tensor& x, bool training) {
  build_if_possible();
  return call({x}, training).at(0);
}

std::vector<Tensor> Model::call_with_masks(const std::vector<Tensor>& inputs, bool training,
                                           std::vector<Tensor>& output_masks) {
  std::vector<Tensor> outs = call(inputs, training);
  output_masks.assign(outs.size(), Tensor());
  return outs;
}

void Model::compile(OptimizerArg optimizer, LossArg loss, std::vector<MetricArg> metric_args,
                    std::vector<MetricArg> weighted_args) {
  if (!optimizer.ptr || !loss.ptr) throw ValueError("compile: optimizer and loss must be set");
  optimizer_ = optimizer.ptr;
  loss_ = loss.ptr;
  metrics_.clear();
  for (const MetricArg& m : metric_args) metrics_.push_back(detail::resolve_metric(m.name, m.ptr, *loss_, false));
  weighted_metrics_.clear();
  for (const MetricArg& m : weighted_args)
    weighted_metrics_.push_back(detail::resolve_metric(m.name, m.ptr, *loss_, true));
  layers_stale_ = true;  // what the next step trains is worked out afresh (Keras recompiles for a freeze)
  data_parallel_ = current_data_parallel();  // compiled inside a strategy's scope(): trains data-parallel
  build_if_possible();
}

optim::Optimizer& Model::optimizer() const {
  check_compiled("optimizer");
  return *optimizer_;
}
const losses::Loss& Model::loss() const {
  check_compiled("loss");
  return *loss_;
}

void Model::check_compiled(const char* what) const {
  if (!optimizer_ || !loss_)
    throw ValueError(detail::concat("model '", name_, "' must be compiled before ", what,
                                    "(): call model.compile(optimizer, loss, metrics)"));
}

std::vector<Tensor> Model::trainable_weights() const {
  std::vector<Tensor> r;
  for (const auto& l : layers())
    for (const Tensor& t : l->trainable_weights()) r.push_back(t);
  return r;
}

std::vector<Tensor> Model::weights() const {
  std::vector<Tensor> r;
  for (const auto& l : layers())
    for (const auto& w : l->weights()) r.push_back(w.value);
  return r;
}

int64_t Model::count_params() const {
  int64_t n = 0;
  for (const auto& l : layers()) n += l->count_params();
  return n;
}

int64_t Model::num_classes_hint() const {
  auto shapes = layer_output_shapes();
  if (shapes.empty() || shapes.back().second.size() < 2) return -1;
  return shapes.back().second.back();
}

detail::MetricTrackers Model::make_trackers(size_t outputs) const {
  return detail::MetricTrackers(outputs, metrics_, weighted_metrics_, *loss_,
                                outputs > 1 ? output_names() : std::vector<std::string>{});
}

// ---- what a step trains ----

bool Model::trainable_current() const {
  size_t k = 0;
  for (const nn::LayerPtr& l : layer_cache_)
    for (const nn::Weight& w : l->weights())
      if (l->trainable && w.trainable) {
        if (k == trainable_.size() || !trainable_[k].same(w.value)) return false;
        ++k;
      }
  return k == trainable_.size();
}

void Model::refresh_trainable() {
  if (layers_stale_) {
    layer_cache_ = layers();
    layers_stale_ = false;
  } else if (trainable_current()) {
    return;
  }
  trainable_.clear();
  for (const nn::LayerPtr& l : layer_cache_)
    for (nn::Weight& w : l->weights()) {
      const bool on = l->trainable && w.trainable;
      if (on) trainable_.push_back(w.value);
      // A frozen weight stops requiring gradients (PyTorch's way to freeze), so backward skips its gradient
      // and, below a frozen base, the gradients flowing into it.
      if (w.value.requires_grad() != on) {
        w.value.requires_grad_(on);
        w.value.zero_grad();
      }
    }
}

// ---- one step ----

std::vector<Tensor> Model::run_step(const detail::Batch& b, bool training, detail::MetricTrackers& tr) {
  if (training) refresh_trainable();  // before the forward pass: it records which weights need gradients
  std::vector<Tensor> masks;
  std::vector<Tensor> preds = call_with_masks(b.xs, training, masks);
  if (preds.size() != b.ys.size())
    throw ValueError(detail::concat("model '", name_, "' has ", preds.size(), " outputs but ", b.ys.size(),
                                    " targets were given"));
  Tensor total;
  std::vector<double> per_output(preds.size());
  for (size_t k = 0; k < preds.size(); ++k) {
    Tensor l = (*loss_)(b.ys[k], preds[k], b.weight(k), masks[k]);
    if (l.numel() != 1) {
      // reduction "none" (per-sample losses): Keras's trainer differentiates their sum and reports their mean.
      per_output[k] = mean(l.detach()).item();
      l = sum(l);
    } else {
      per_output[k] = l.item();
    }
    total = k == 0 ? l : total + l;
  }
  // Keras adds the layers' regularization penalties (layer.losses) to the loss it minimises and reports.
  Tensor penalty;
  for (const nn::LayerPtr& layer : layers())
    for (const Tensor& p : layer->regularization_losses()) penalty = penalty.defined() ? penalty + p : p;
  double regularization = 0;
  if (penalty.defined()) {
    total = total + penalty;
    regularization = penalty.item();
  }
  if (training) {
    refresh_trainable();  // picks up weights that this forward pass built
    optim::Optimizer::zero_grad(trainable_);
    // With every weight frozen nothing needs a gradient, and nothing is updated (as Keras).
    if (total.requires_grad()) {
      if (data_parallel_) data_parallel_->begin_backward(trainable_, detail::replica_weight(*data_parallel_, b));
      total.backward();
      if (data_parallel_) data_parallel_->end_backward();
      optimizer_->step(trainable_);
    }
  }
  NoGradGuard ng;
  for (Tensor& p : preds) p = p.detach();
  tr.update(b, preds, masks, per_output, regularization, detail::rows(b.xs.at(0)));
  return preds;
}

Logs Model::train_on_batch(const Tensor& x, const Tensor& y, const Tensor& sample_weight) {
  check_compiled("train_on_batch");
  build_if_possible();
  layers_stale_ = true;  // a subclass may have changed its layers without saying so
  detail::MetricTrackers tr = make_trackers(1);
  tr.reset();
  run_step(detail::Batch{{x}, {y}, sample_weight, {}}, true, tr);
  Logs logs;
  for (auto& [k, v] : tr.values()) logs[k] = v;
  return logs;
}

Logs Model::test_on_batch(const Tensor& x, const Tensor& y, const Tensor& sample_weight) {
  check_compiled("test_on_batch");
  build_if_possible();
  NoGradGuard ng;
  detail::MetricTrackers tr = make_trackers(1);
  tr.reset();
  run_step(detail::Batch{{x}, {y}, sample_weight, {}}, false, tr);
  Logs logs;
  for (auto& [k, v] : tr.values()) logs[k] = v;
  return logs;
}

Tensor Model::predict_on_batch(const Tensor& x) { return predict_on_batch(std::vector<Tensor>{x}).at(0); }

std::vector<Tensor> Model::predict_on_batch(const std::vector<Tensor>& xs) {
  if (xs.empty()) throw ValueError("predict_on_batch: needs at least one input");
  build_if_possible();
  NoGradGuard ng;
  return call(xs, false);
}

}  // namespace nabla
