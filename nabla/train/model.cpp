#include "nabla/train/model.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

#include "nabla/autograd/grad_mode.h"
#include "nabla/core/random.h"
#include "nabla/ops/math.h"
#include "nabla/ops/shape_ops.h"
#include "nabla/train/class_weight.h"
#include "nabla/train/fit_observer.h"
#include "nabla/train/progress.h"

namespace nabla {

using callbacks::Logs;

double EvalResult::operator[](const std::string& key) const {
  for (const auto& [k, v] : values)
    if (k == key) return v;
  std::string known;
  for (const auto& [k, v] : values) known += (known.empty() ? "" : ", ") + k;
  throw ValueError("evaluate() has no value '" + key + "' (has: " + known + ")");
}

namespace {

// Throws if a float tensor holds NaN or Inf, naming the sample and the position within it.
void check_finite(const Tensor& t, const char* what) {
  if (!is_floating(t.dtype())) return;
  Tensor c = t.contiguous();
  int64_t per = c.dim() && c.size(0) ? c.numel() / c.size(0) : 1;
  NABLA_DISPATCH_FLOAT(c.dtype(), T, {
    const T* p = c.data<T>();
    for (int64_t i = 0; i < c.numel(); ++i)
      if (!std::isfinite(p[i]))
        throw ValueError(detail::concat("fit: ", what, " contains ", std::isnan(p[i]) ? "NaN" : "Inf",
                                        " at sample ", i / per, " (flat index ", i, "); nabla does not train on "
                                        "non-finite data — clean or impute it first"));
  });
}

int64_t rows(const Tensor& t) { return t.dim() ? t.size(0) : 1; }

// validation_split per class: the last floor(fraction * count) samples of each class go to validation, so both
// sides keep the class mix (a rare class is not left out of either). Indices in their original order.
std::pair<std::vector<int64_t>, std::vector<int64_t>> stratified_tail_split(const Tensor& y, double fraction) {
  std::vector<int64_t> labels = class_ids_of(y);
  std::map<int64_t, int64_t> left;  // validation samples still to take, per class
  for (auto& [c, k] : class_id_counts(y)) left[c] = int64_t(std::floor(double(k) * fraction));
  std::vector<bool> is_val(labels.size());
  for (int64_t i = int64_t(labels.size()) - 1; i >= 0; --i)
    if (left[labels[size_t(i)]] > 0) {
      --left[labels[size_t(i)]];
      is_val[size_t(i)] = true;
    }
  std::vector<int64_t> tr, va;
  for (size_t i = 0; i < labels.size(); ++i) (is_val[i] ? va : tr).push_back(int64_t(i));
  NABLA_CHECK(!tr.empty() && !va.empty(), "fit: stratified validation_split ", fraction,
              " leaves no data on one side");
  return {tr, va};
}

}  // namespace

Tensor Model::operator()(const Tensor& x, bool training) {
  build_if_possible();
  return call({x}, training).at(0);
}

void Model::compile(OptimizerArg optimizer, LossArg loss, std::vector<MetricArg> metric_args,
                    std::vector<MetricArg> weighted_args) {
  optimizer_ = optimizer.ptr;
  loss_ = loss.ptr;
  NABLA_CHECK(optimizer_ && loss_, "compile: optimizer and loss must be set");
  metrics_.clear();
  for (MetricArg& m : metric_args) metrics_.push_back(m.ptr ? m.ptr : metrics::get(m.name, loss_->accuracy_metric()));
  weighted_metrics_.clear();
  for (MetricArg& m : weighted_args) {
    metrics::MetricPtr p = m.ptr ? m.ptr : metrics::get(m.name, loss_->accuracy_metric());
    p->set_name("weighted_" + p->name());
    weighted_metrics_.push_back(p);
  }
  layers_stale_ = true;
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
  NABLA_CHECK(optimizer_ && loss_, "model '", name_, "' must be compiled before ", what,
              "(): call model.compile(optimizer, loss, metrics)");
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

Tensor Model::batch_sample_weight(const Tensor& y, const std::map<int64_t, double>& class_weight,
                                  const Tensor& sample_weight) const {
  if (class_weight.empty()) return sample_weight;
  return class_sample_weight(y, class_weight, sample_weight, num_classes_hint());
}

Tensor Model::class_sample_weight(const Tensor& y, const std::map<int64_t, double>& class_weight,
                                  const Tensor& sample_weight, int64_t classes) const {
  if (class_weight.empty()) return sample_weight;
  if (classes == 1) classes = 2;  // one sigmoid unit: classes 0 and 1
  for (const auto& [c, w] : class_weight)
    NABLA_CHECK(c >= 0 && (classes < 0 || c < classes), "class_weight has class ", c, ", but the model has ",
                classes, " outputs (valid classes: 0..", classes - 1, ")");
  // Class ids per sample: sparse labels [N] / [N, 1] as they are; one-hot targets [N, C] by argmax. Dense
  // targets give one class per element (sparse [N, H, W]; one-hot [N, H, W, C] by argmax over the last axis),
  // and then a weight per element, which the loss applies before its mean over the non-batch axes.
  const bool sparse = loss_ && loss_->sparse_targets();
  Tensor yc = y.detach().to(f64).contiguous();
  const int64_t n = rows(yc);
  const bool one_hot = !sparse && yc.dim() >= 2 && yc.shape().back() > 1;
  const int64_t c = one_hot ? yc.shape().back() : 1;
  const int64_t m = yc.numel() / c;  // class ids in the batch
  Shape wshape = one_hot ? Shape(yc.shape().begin(), yc.shape().end() - 1) : yc.shape();
  if (m == n) wshape = Shape{n};
  Tensor w = make_tensor(wshape, f32);
  const double* p = yc.data<double>();
  float* wp = w.data<float>();
  for (int64_t i = 0; i < m; ++i) {
    int64_t label = 0;
    if (one_hot) {
      for (int64_t j = 1; j < c; ++j)
        if (p[i * c + j] > p[i * c + label]) label = j;
    } else {
      label = int64_t(p[i]);
    }
    auto it = class_weight.find(label);
    wp[i] = it == class_weight.end() ? 1.0f : float(it->second);
  }
  if (sample_weight.defined()) {
    Tensor s = sample_weight.detach().to(f32).contiguous();
    const float* sp = s.data<float>();
    NABLA_CHECK_SHAPE(s.numel() == n || s.numel() == m, "sample_weight has ", s.numel(), " values for a batch of ",
                      n, " samples (", m, " labels)");
    const int64_t per = s.numel() == m ? 1 : m / n;  // per-sample weights spread over each sample's elements
    for (int64_t i = 0; i < m; ++i) wp[i] *= sp[i / per];
  }
  return w;
}

// The loss and metric state of one fit/evaluate. With one output it uses the compiled metrics as they are;
// with several, each output gets "<output>_loss" and fresh copies of the metrics named "<output>_<metric>".
struct Model::Trackers {
  std::vector<std::string> names;  // output names; empty with a single output
  metrics::MeanMetric total{"loss"};
  std::vector<metrics::MeanMetric> losses;
  std::vector<std::vector<metrics::MetricPtr>> metrics;   // [output][metric]: ignore sample weights (Keras)
  std::vector<std::vector<metrics::MetricPtr>> weighted;  // [output][metric]: use them ("weighted_<name>")

  void reset() {
    total.reset_state();
    for (auto& l : losses) l.reset_state();
    for (auto* group : {&metrics, &weighted})
      for (auto& ms : *group)
        for (auto& m : ms) m->reset_state();
  }
  void update(const Batch& b, const std::vector<Tensor>& preds, const std::vector<double>& per_output, int64_t n) {
    double sum = 0;
    for (size_t k = 0; k < per_output.size(); ++k) {
      sum += per_output[k];
      losses[k].add(per_output[k] * double(n), double(n));
      for (auto& m : metrics[k]) m->update_state(b.ys[k], preds[k]);
      for (auto& m : weighted[k]) m->update_state(b.ys[k], preds[k], b.weight(k));
    }
    total.add(sum * double(n), double(n));
  }
  std::vector<std::pair<std::string, double>> values() const {
    std::vector<std::pair<std::string, double>> v{{"loss", total.result()}};
    if (!names.empty())
      for (size_t k = 0; k < losses.size(); ++k) v.emplace_back(names[k] + "_loss", losses[k].result());
    for (auto* group : {&metrics, &weighted})
      for (const auto& ms : *group)
        for (const auto& m : ms) v.emplace_back(m->name(), m->result());
    return v;
  }
};

Model::Trackers Model::make_trackers(size_t outputs) const {
  Trackers t;
  t.losses.resize(outputs, metrics::MeanMetric("loss"));
  t.metrics.resize(outputs);
  t.weighted.resize(outputs);
  if (outputs == 1) {
    t.metrics[0] = metrics_;
    t.weighted[0] = weighted_metrics_;
    return t;
  }
  t.names = output_names();
  if (t.names.size() != outputs) {
    t.names.clear();
    for (size_t k = 0; k < outputs; ++k) t.names.push_back("output_" + std::to_string(k + 1));
  }
  // Fresh copies of each metric per output, made again by name.
  auto copies = [&](const std::vector<metrics::MetricPtr>& from, std::vector<std::vector<metrics::MetricPtr>>& to,
                    const std::string& strip) {
    for (size_t k = 0; k < outputs; ++k)
      for (const auto& m : from) {
        std::string base = m->name().substr(m->name().rfind(strip, 0) == 0 ? strip.size() : 0);
        metrics::MetricPtr fresh;
        try {
          fresh = metrics::get(base, loss_->accuracy_metric());
        } catch (const Error&) {
          throw ValueError("metric '" + m->name() + "' cannot be repeated for each of the model's " +
                           std::to_string(outputs) + " outputs; pass metrics by name to compile()");
        }
        fresh->set_name(t.names[k] + "_" + m->name());
        to[k].push_back(fresh);
      }
  };
  copies(metrics_, t.metrics, "");
  copies(weighted_metrics_, t.weighted, "weighted_");
  return t;
}

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

std::vector<Tensor> Model::run_step(const Batch& b, bool training, Trackers& tr) {
  if (training) refresh_trainable();  // before the forward pass: it records which weights need gradients
  std::vector<Tensor> preds = call(b.xs, training);
  NABLA_CHECK(preds.size() == b.ys.size(), "model '", name_, "' has ", preds.size(), " outputs but ", b.ys.size(),
              " targets were given");
  Tensor total;
  std::vector<double> per_output(preds.size());
  for (size_t k = 0; k < preds.size(); ++k) {
    Tensor l = (*loss_)(b.ys[k], preds[k], b.weight(k));
    total = k == 0 ? l : total + l;
    per_output[k] = l.item();
  }
  if (training) {
    refresh_trainable();  // picks up weights that this forward pass built
    optim::Optimizer::zero_grad(trainable_);
    // With every weight frozen nothing needs a gradient, and nothing is updated (as Keras).
    if (total.requires_grad()) {
      total.backward();
      optimizer_->step(trainable_);
    }
  }
  NoGradGuard ng;
  for (Tensor& p : preds) p = p.detach();
  tr.update(b, preds, per_output, rows(b.xs.at(0)));
  return preds;
}

Logs Model::train_on_batch(const Tensor& x, const Tensor& y, const Tensor& sample_weight) {
  check_compiled("train_on_batch");
  build_if_possible();
  layers_stale_ = true;  // a subclass may have changed its layers without saying so
  Trackers tr = make_trackers(1);
  tr.reset();
  run_step(Batch{{x}, {y}, sample_weight}, true, tr);
  Logs logs;
  for (auto& [k, v] : tr.values()) logs[k] = v;
  return logs;
}

Logs Model::test_on_batch(const Tensor& x, const Tensor& y, const Tensor& sample_weight) {
  check_compiled("test_on_batch");
  build_if_possible();
  NoGradGuard ng;
  Trackers tr = make_trackers(1);
  tr.reset();
  run_step(Batch{{x}, {y}, sample_weight}, false, tr);
  Logs logs;
  for (auto& [k, v] : tr.values()) logs[k] = v;
  return logs;
}

std::string FitStats::str() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%lld steps: %.1f%% of the time waiting for input (%.3fs input, %.3fs compute)",
                static_cast<long long>(steps), 100.0 * input_wait_fraction(), input_seconds, step_seconds);
  return buf;
}

namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::vector<Tensor> slice_all(const std::vector<Tensor>& ts, int64_t b, int64_t e) {
  std::vector<Tensor> r;
  r.reserve(ts.size());
  for (const Tensor& t : ts) r.push_back(slice(t, 0, b, e));
  return r;
}

void take_all(const std::vector<Tensor>& ts, const Tensor& idx, std::vector<Tensor>& out) {
  out.resize(ts.size());
  for (size_t i = 0; i < ts.size(); ++i) out[i] = take_rows(ts[i], idx);
}

void check_rows(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, const char* what) {
  NABLA_CHECK(!xs.empty() && !ys.empty(), what, ": needs at least one input and one target");
  int64_t n = rows(xs[0]);
  for (size_t i = 0; i < xs.size(); ++i)
    NABLA_CHECK_SHAPE(rows(xs[i]) == n, what, ": x has ", n, " samples (shape ", xs[0].shape().str(), ") but input ",
                      i, " has ", rows(xs[i]), " (shape ", xs[i].shape().str(), ")");
  for (size_t i = 0; i < ys.size(); ++i)
    NABLA_CHECK_SHAPE(rows(ys[i]) == n, what, ": x has ", n, " samples (shape ", xs[0].shape().str(), ") but y",
                      ys.size() > 1 ? " " + std::to_string(i) : std::string(), " has ", rows(ys[i]), " (shape ",
                      ys[i].shape().str(), ")");
}

// Reads (x, y[, sample_weight]) from a pipeline element, naming what is wrong with it.
bool unpack(std::optional<data::Element> e, std::vector<Tensor>& xs, std::vector<Tensor>& ys, Tensor& sw,
            const char* who) {
  if (!e) return false;
  NABLA_CHECK(e->size() >= 2 && e->size() <= 3, who, ": dataset elements must be (x, y) or (x, y, sample_weight), "
              "got a tuple of ", e->size(), " tensors");
  xs.assign(1, (*e)[0]);
  ys.assign(1, (*e)[1]);
  sw = e->size() == 3 ? (*e)[2] : Tensor();
  NABLA_CHECK(xs[0].dim() >= 1 && rows(xs[0]) == rows(ys[0]), who, ": a dataset element has x of shape ",
              xs[0].shape().str(), " and y of shape ", ys[0].shape().str(), "; batch the dataset (dataset.batch(32)) "
              "so that both have a leading batch axis of the same size");
  return true;
}
}  // namespace

History Model::run_fit(const std::function<NextBatch(int epoch)>& epoch_batches, int64_t steps,
                       const FitOptions& opts, const std::optional<ValidationData>& val) {
  // class_weights resolved to output positions once, before any callback runs, so a wrong name fails at once
  // and each batch only indexes a vector.
  std::vector<const std::map<int64_t, double>*> output_cw;
  std::vector<int64_t> output_classes;
  if (!opts.class_weights.empty()) {
    NABLA_CHECK(opts.class_weight.empty(), "fit: pass class_weight (a single output) or class_weights (per output "
                "name), not both");
    const std::vector<std::string> names = output_names();
    const std::vector<Shape> shapes = output_shapes();
    output_cw.assign(names.size(), nullptr);
    for (const auto& [out, cw] : opts.class_weights) {
      auto it = std::find(names.begin(), names.end(), out);
      if (it == names.end()) {
        std::string known;
        for (const auto& nm : names) known += (known.empty() ? "'" : ", '") + nm + "'";
        throw ValueError("fit: class_weights names output '" + out + "', but model '" + name_ + "' has outputs " +
                         (known.empty() ? "without names (use class_weight)" : known));
      }
      output_cw[size_t(it - names.begin())] = &cw;
    }
    for (size_t k = 0; k < names.size(); ++k)
      output_classes.push_back(shapes.size() == names.size() && shapes[k].size() >= 2 ? shapes[k].back() : -1);
  }
  History history;
  stop_training = false;
  layers_stale_ = true;  // a subclass may have changed its layers without saying so
  fit_stats_ = FitStats{};
  std::optional<Trackers> tr;  // sized by the first batch's number of outputs
  for (auto& cb : opts.callbacks) cb->set_model(this);
  Logs logs;
  for (auto& cb : opts.callbacks) cb->on_train_begin(logs);
  const std::vector<FitObserver*> observers = fit_observers();  // after on_train_begin: callbacks may add some
  for (int epoch = opts.initial_epoch; epoch < opts.epochs && !stop_training; ++epoch) {
    if (tr) tr->reset();
    Logs epoch_logs;
    for (auto& cb : opts.callbacks) cb->on_epoch_begin(epoch, epoch_logs);
    if (opts.verbose == 1) *opts.out << "Epoch " << epoch + 1 << "/" << opts.epochs << "\n";
    ProgressBar bar(steps, opts.verbose, *opts.out);
    NextBatch next = epoch_batches(epoch);
    FitStats epoch_stats;
    int64_t step = 0;
    Batch b;
    for (; (steps < 0 || step < steps) && !stop_training; ++step) {
      auto t0 = Clock::now();
      bool more;
      {
        NoGradGuard ng;
        more = next(b);
        if (more && !opts.class_weight.empty()) {
          NABLA_CHECK(b.ys.size() == 1, "fit: class_weight needs a single output; with several outputs pass "
                      "class_weights (keyed by output name) or sample_weight");
          b.sw = batch_sample_weight(b.ys[0], opts.class_weight, b.sw);
        }
        if (more && !output_cw.empty()) {
          NABLA_CHECK(b.ys.size() == output_cw.size(), "model '", name_, "' has ", output_cw.size(),
                      " outputs but ", b.ys.size(), " targets were given");
          b.sws.resize(b.ys.size());
          for (size_t k = 0; k < b.ys.size(); ++k)
            b.sws[k] = output_cw[k] ? class_sample_weight(b.ys[k], *output_cw[k], b.sw, output_classes[k]) : b.sw;
        }
      }
      epoch_stats.input_seconds += seconds_since(t0);
      if (!more) break;
      auto t1 = Clock::now();
      if (!tr) {
        tr = make_trackers(b.ys.size());
        tr->reset();
      }
      Logs batch_logs;
      for (auto& cb : opts.callbacks) cb->on_train_batch_begin(step, batch_logs);
      // Observers (debug/'s NaN dumps) see single-input, single-output batches.
      const bool observe = !observers.empty() && b.xs.size() == 1 && b.ys.size() == 1;
      if (observe)
        for (FitObserver* o : observers) o->on_train_step_begin(*this, b.xs[0], b.ys[0], b.weight(0), epoch, step);
      run_step(b, true, *tr);
      if (observe)
        for (FitObserver* o : observers) o->on_train_step_end(*this);
      auto values = tr->values();
      if (!opts.callbacks.empty()) {
        for (auto& [k, v] : values) batch_logs[k] = v;
        for (auto& cb : opts.callbacks) cb->on_train_batch_end(step, batch_logs);
      }
      bar.update(step + 1, values);
      epoch_stats.step_seconds += seconds_since(t1);
      epoch_stats.steps++;
    }
    fit_stats_.input_seconds += epoch_stats.input_seconds;
    fit_stats_.step_seconds += epoch_stats.step_seconds;
    fit_stats_.steps += epoch_stats.steps;
    auto values = tr ? tr->values() : std::vector<std::pair<std::string, double>>{};
    for (auto& [k, v] : values) epoch_logs[k] = v;
    if (val) {
      EvaluateOptions eo{.batch_size = opts.batch_size, .verbose = 0};
      EvalResult vr = val->dataset ? evaluate(*val->dataset, eo) : evaluate(val->xs, val->ys, eo);
      for (auto& [k, v] : vr.values) {
        epoch_logs["val_" + k] = v;
        values.emplace_back("val_" + k, v);
      }
    }
    bar.update(step, values, true);
    // The one-line answer to "is my training input-bound?" (tf.data users have to profile for this).
    if (opts.verbose >= 1 && epoch_stats.input_wait_fraction() > 0.10)
      *opts.out << "Input pipeline: " << epoch_stats.str() << "\n";
    for (auto& cb : opts.callbacks) cb->on_epoch_end(epoch, epoch_logs);
    history.epoch.push_back(epoch);
    for (auto& [k, v] : epoch_logs) history.history[k].push_back(v);
  }
  for (auto& cb : opts.callbacks) cb->on_train_end(logs);
  return history;
}

History Model::fit(const Tensor& x, const Tensor& y, FitOptions opts) {
  return fit(std::vector<Tensor>{x}, std::vector<Tensor>{y}, std::move(opts));
}

History Model::fit(const std::vector<Tensor>& xs_all, const std::vector<Tensor>& ys_all, FitOptions opts) {
  check_compiled("fit");
  check_rows(xs_all, ys_all, "fit");
  NABLA_CHECK(opts.batch_size > 0, "fit: batch_size must be positive, got ", opts.batch_size);
  NABLA_CHECK(opts.validation_split >= 0 && opts.validation_split < 1, "fit: validation_split must be in [0, 1), got ",
              opts.validation_split);
  for (const Tensor& x : xs_all) check_finite(x, "x");
  for (const Tensor& y : ys_all) check_finite(y, "y");
  const int64_t n_all = rows(xs_all[0]);
  if (opts.sample_weight.defined())
    NABLA_CHECK_SHAPE(rows(opts.sample_weight) == n_all, "fit: sample_weight has ", rows(opts.sample_weight),
                      " rows for ", n_all, " samples");
  build_if_possible();
  if (xs_all.size() == 1 && ys_all.size() == 1)
    for (FitObserver* o : fit_observers()) o->on_fit_data(*this, xs_all[0], ys_all[0]);

  std::vector<Tensor> xs = xs_all, ys = ys_all;
  Tensor sw_all = opts.sample_weight;
  std::optional<ValidationData> val = opts.validation_data;
  if (opts.validation_split > 0) {
    int64_t split = n_all - int64_t(std::floor(double(n_all) * opts.validation_split));
    NABLA_CHECK(split > 0 && split < n_all, "fit: validation_split ", opts.validation_split,
                " leaves no data on one side");
    if (opts.stratify_validation_split) {
      NABLA_CHECK(ys_all.size() == 1, "fit: stratify_validation_split needs a single output");
      auto [tr, va] = stratified_tail_split(ys_all[0], opts.validation_split);
      Tensor tri = Tensor::from_vector(tr), vai = Tensor::from_vector(va);
      take_all(xs_all, tri, xs);
      take_all(ys_all, tri, ys);
      if (sw_all.defined()) sw_all = take_rows(sw_all, tri);
      std::vector<Tensor> vx, vy;
      take_all(xs_all, vai, vx);
      take_all(ys_all, vai, vy);
      val = ValidationData{vx, vy};
    } else {
      xs = slice_all(xs_all, 0, split);
      ys = slice_all(ys_all, 0, split);
      if (sw_all.defined()) sw_all = slice(sw_all, 0, 0, split);
      val = ValidationData{slice_all(xs_all, split, n_all), slice_all(ys_all, split, n_all)};
    }
  }

  const int64_t n = rows(xs[0]);
  const int64_t bs = opts.batch_size;
  int64_t steps = opts.steps_per_epoch > 0 ? opts.steps_per_epoch : (n + bs - 1) / bs;
  // Batches are gathered rows of a permutation (one copy of the batch's rows, no per-sample tensors); the
  // position in the permutation carries across epochs when steps_per_epoch cuts passes short.
  Tensor order = Tensor::arange(n, i64);
  int64_t cursor = 0;
  const bool shuffle = opts.shuffle;
  auto epoch_batches = [&](int) -> NextBatch {
    return [&](Batch& b) {
      if (cursor >= n) cursor = 0;
      if (cursor == 0 && shuffle) {  // a fresh permutation per pass (Fisher-Yates)
        int64_t* p = order.data<int64_t>();
        Generator& g = default_generator();
        for (int64_t i = n - 1; i > 0; --i) std::swap(p[i], p[int64_t(g.randint(uint64_t(i + 1)))]);
      }
      int64_t end = std::min(cursor + bs, n);
      if (shuffle) {
        Tensor idx = slice(order, 0, cursor, end);
        take_all(xs, idx, b.xs);
        take_all(ys, idx, b.ys);
        b.sw = sw_all.defined() ? take_rows(sw_all, idx) : Tensor();
      } else {
        b.xs = slice_all(xs, cursor, end);
        b.ys = slice_all(ys, cursor, end);
        b.sw = sw_all.defined() ? slice(sw_all, 0, cursor, end) : Tensor();
      }
      cursor = end;
      return true;
    };
  };
  pipeline_stats_.reset();
  return run_fit(epoch_batches, steps, opts, val);
}

History Model::fit(const data::Dataset& dataset, FitOptions opts) {
  check_compiled("fit");
  NABLA_CHECK(opts.validation_split == 0, "fit: validation_split is not supported for datasets; pass "
              "validation_data");
  NABLA_CHECK(opts.steps_per_epoch > 0 || dataset.cardinality() != data::INFINITE_CARDINALITY,
              "fit: the dataset is infinite (repeat()); pass steps_per_epoch");
  build_if_possible();
  int64_t steps = opts.steps_per_epoch > 0 ? opts.steps_per_epoch
                  : dataset.cardinality() >= 0 ? dataset.cardinality() : -1;
  // One iterator per epoch; with steps_per_epoch, epochs continue the same iterator (as Keras does) and a
  // fresh pass starts when it runs dry.
  std::optional<data::Iterator> it;
  bool continue_iterator = opts.steps_per_epoch > 0;
  auto epoch_batches = [&](int) -> NextBatch {
    if (!it || !continue_iterator) it.emplace(dataset.make_iterator());
    return [&](Batch& b) {
      if (unpack(it->next(), b.xs, b.ys, b.sw, "fit")) return true;
      if (!continue_iterator) return false;
      it.emplace(dataset.make_iterator());
      return unpack(it->next(), b.xs, b.ys, b.sw, "fit");
    };
  };
  History h = run_fit(epoch_batches, steps, opts, opts.validation_data);
  if (it) pipeline_stats_ = it->stats();
  return h;
}

EvalResult Model::run_evaluate(const NextBatch& next, int64_t steps, const EvaluateOptions& opts) {
  check_compiled("evaluate");
  build_if_possible();
  NoGradGuard ng;
  ProgressBar bar(steps, opts.verbose, *opts.out);
  Logs logs;
  for (auto& cb : opts.callbacks) {
    cb->set_model(this);
    cb->on_test_begin(logs);
  }
  std::optional<Trackers> tr;
  int64_t s = 0;
  Batch b;
  while ((steps < 0 || s < steps) && next(b)) {
    if (!tr) {
      tr = make_trackers(b.ys.size());
      tr->reset();
    }
    run_step(b, false, *tr);
    bar.update(++s, tr->values());
  }
  EvalResult r{tr ? tr->values() : std::vector<std::pair<std::string, double>>{{"loss", 0.0}}};
  bar.update(s, r.values, true);
  for (auto& [k, v] : r.values) logs[k] = v;
  for (auto& cb : opts.callbacks) cb->on_test_end(logs);
  return r;
}

EvalResult Model::evaluate(const Tensor& x, const Tensor& y, EvaluateOptions opts) {
  return evaluate(std::vector<Tensor>{x}, std::vector<Tensor>{y}, std::move(opts));
}

EvalResult Model::evaluate(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, EvaluateOptions opts) {
  check_rows(xs, ys, "evaluate");
  NABLA_CHECK(opts.batch_size > 0, "evaluate: batch_size must be positive, got ", opts.batch_size);
  int64_t n = rows(xs[0]), pos = 0;
  NextBatch next = [&](Batch& b) {
    if (pos >= n) return false;
    int64_t e = std::min(pos + opts.batch_size, n);
    b.xs = slice_all(xs, pos, e);
    b.ys = slice_all(ys, pos, e);
    b.sw = opts.sample_weight.defined() ? slice(opts.sample_weight, 0, pos, e) : Tensor();
    pos = e;
    return true;
  };
  return run_evaluate(next, (n + opts.batch_size - 1) / opts.batch_size, opts);
}

EvalResult Model::evaluate(const data::Dataset& dataset, EvaluateOptions opts) {
  NABLA_CHECK(dataset.cardinality() != data::INFINITE_CARDINALITY, "evaluate: the dataset is infinite (repeat())");
  data::Iterator it = dataset.make_iterator();
  NextBatch next = [&](Batch& b) { return unpack(it.next(), b.xs, b.ys, b.sw, "evaluate"); };
  return run_evaluate(next, dataset.cardinality() >= 0 ? dataset.cardinality() : -1, opts);
}

Tensor Model::predict(const Tensor& x, PredictOptions opts) { return predict(std::vector<Tensor>{x}, opts).at(0); }

std::vector<Tensor> Model::predict(const std::vector<Tensor>& xs, PredictOptions opts) {
  NABLA_CHECK(!xs.empty(), "predict: needs at least one input");
  NABLA_CHECK(opts.batch_size > 0, "predict: batch_size must be positive, got ", opts.batch_size);
  const int64_t n = rows(xs[0]);
  for (size_t i = 1; i < xs.size(); ++i)
    NABLA_CHECK_SHAPE(rows(xs[i]) == n, "predict: input 0 has ", n, " samples but input ", i, " has ", rows(xs[i]));
  int64_t pos = 0;
  return predict_batches([&](std::vector<Tensor>& batch) {
    if (pos >= n) return false;
    batch = slice_all(xs, pos, std::min(pos + opts.batch_size, n));
    pos += opts.batch_size;
    return true;
  }, (n + opts.batch_size - 1) / opts.batch_size, opts);
}

Tensor Model::predict(const data::Dataset& dataset, PredictOptions opts) {
  NABLA_CHECK(dataset.cardinality() != data::INFINITE_CARDINALITY, "predict: the dataset is infinite (repeat())");
  data::Iterator it = dataset.make_iterator();
  return predict_batches([&](std::vector<Tensor>& batch) {
    auto e = it.next();
    if (!e) return false;
    NABLA_CHECK(!e->empty(), "predict: empty dataset element");
    batch.assign(1, (*e)[0]);
    return true;
  }, dataset.cardinality() >= 0 ? dataset.cardinality() : -1, opts).at(0);
}

Tensor Model::predict_on_batch(const Tensor& x) { return predict_on_batch(std::vector<Tensor>{x}).at(0); }

std::vector<Tensor> Model::predict_on_batch(const std::vector<Tensor>& xs) {
  NABLA_CHECK(!xs.empty(), "predict_on_batch: needs at least one input");
  build_if_possible();
  NoGradGuard ng;
  return call(xs, false);
}

std::vector<Tensor> Model::predict_batches(const std::function<bool(std::vector<Tensor>&)>& next, int64_t steps,
                                           const PredictOptions& opts) {
  build_if_possible();
  NoGradGuard ng;
  std::vector<std::vector<Tensor>> parts;
  ProgressBar bar(steps, opts.verbose, std::cout);
  int64_t s = 0;
  std::vector<Tensor> batch;
  while (next(batch)) {
    std::vector<Tensor> outs = call(batch, false);
    parts.resize(outs.size());
    for (size_t k = 0; k < outs.size(); ++k) parts[k].push_back(outs[k].detach());
    bar.update(++s, {});
  }
  bar.update(s, {}, true);
  std::vector<Tensor> r;
  for (auto& p : parts) r.push_back(p.size() == 1 ? p[0].contiguous() : concat(p, 0));
  return r;
}

void Model::summary(std::ostream& os) {
  build_if_possible();
  auto shapes = layer_output_shapes();
  const int w1 = 29, w2 = 26, w3 = 10;
  std::string line(w1 + w2 + w3, '_'), dline(w1 + w2 + w3, '=');
  os << "Model: \"" << name_ << "\"\n" << line << "\n";
  os << std::left << std::setw(w1) << " Layer (type)" << std::setw(w2) << "Output Shape" << "Param #\n" << dline << "\n";
  int64_t trainable = 0, total = 0;
  for (size_t i = 0; i < shapes.size(); ++i) {
    auto& [layer, shape] = shapes[i];
    std::string lt = " " + layer->name() + " (" + layer->type() + ")";
    os << std::left << std::setw(w1) << lt << std::setw(w2) << shape.str() << layer->count_params() << "\n";
    if (i + 1 < shapes.size()) os << "\n";
    total += layer->count_params();
    for (const Tensor& t : layer->trainable_weights()) trainable += t.numel();
  }
  auto commas = [](int64_t v) {  // 101770 -> "101,770"
    std::string digits = std::to_string(v), out;
    for (size_t i = 0; i < digits.size(); ++i) {
      if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
      out += digits[i];
    }
    return out;
  };
  os << dline << "\n";
  os << "Total params: " << commas(total) << "\n";
  os << "Trainable params: " << commas(trainable) << "\n";
  os << "Non-trainable params: " << commas(total - trainable) << "\n" << line << "\n";
}

}  // namespace nabla
