#include "nabla/train/model.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

#include "nabla/autograd/grad_mode.h"
#include "nabla/core/random.h"
#include "nabla/ops/shape_ops.h"
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

}  // namespace

Tensor Model::operator()(const Tensor& x, bool training) {
  build_if_possible();
  return call({x}, training).at(0);
}

void Model::compile(OptimizerArg optimizer, LossArg loss, std::vector<MetricArg> metric_args) {
  optimizer_ = optimizer.ptr;
  loss_ = loss.ptr;
  NABLA_CHECK(optimizer_ && loss_, "compile: optimizer and loss must be set");
  metrics_.clear();
  for (MetricArg& m : metric_args) metrics_.push_back(m.ptr ? m.ptr : metrics::get(m.name, loss_->accuracy_metric()));
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
  int64_t classes = num_classes_hint();
  for (const auto& [c, w] : class_weight)
    NABLA_CHECK(c >= 0 && (classes < 0 || c < classes), "class_weight has class ", c, ", but the model has ",
                classes, " outputs (valid classes: 0..", classes - 1, ")");
  // Sparse labels [N] (or [N, 1]); one-hot targets [N, C] use their argmax.
  Tensor labels;
  if (y.dim() >= 2 && y.shape().back() > 1) {
    Tensor yc = y.to(f64).contiguous();
    int64_t n = yc.size(0), c = yc.numel() / n;
    std::vector<int64_t> l(static_cast<size_t>(n));
    const double* p = yc.data<double>();
    for (int64_t i = 0; i < n; ++i) {
      int64_t best = 0;
      for (int64_t j = 1; j < c; ++j)
        if (p[i * c + j] > p[i * c + best]) best = j;
      l[size_t(i)] = best;
    }
    labels = Tensor::from_vector(l);
  } else {
    labels = y.to(i64).contiguous();
  }
  Tensor w = make_tensor(Shape{labels.numel()}, f32);
  const int64_t* lp = labels.data<int64_t>();
  float* wp = w.data<float>();
  for (int64_t i = 0; i < labels.numel(); ++i) {
    auto it = class_weight.find(lp[i]);
    wp[i] = it == class_weight.end() ? 1.0f : float(it->second);
  }
  if (sample_weight.defined()) {
    Tensor s = sample_weight.to(f32).contiguous();
    const float* sp = s.data<float>();
    for (int64_t i = 0; i < labels.numel(); ++i) wp[i] *= sp[i];
  }
  return w;
}

Model::StepResult Model::train_step(const Tensor& x, const Tensor& y, const Tensor& sw) {
  if (trainable_cache_.empty()) trainable_cache_ = trainable_weights();
  optim::Optimizer::zero_grad(trainable_cache_);
  Tensor y_pred = call({x}, true).at(0);
  Tensor loss = (*loss_)(y, y_pred, sw);
  loss.backward();
  optimizer_->step(trainable_cache_);
  return {loss, y_pred};
}

void Model::update_metrics(const Tensor& y, const Tensor& y_pred, const Tensor& sw, double loss, int64_t n) {
  loss_tracker_.add(loss * double(n), double(n));
  for (auto& m : metrics_) m->update_state(y, y_pred, sw);
}

void Model::reset_metrics() {
  loss_tracker_.reset_state();
  for (auto& m : metrics_) m->reset_state();
}

std::vector<std::pair<std::string, double>> Model::metric_values(const std::string& prefix) const {
  std::vector<std::pair<std::string, double>> v;
  v.emplace_back(prefix + "loss", loss_tracker_.result());
  for (const auto& m : metrics_) v.emplace_back(prefix + m->name(), m->result());
  return v;
}

Logs Model::train_on_batch(const Tensor& x, const Tensor& y, const Tensor& sample_weight) {
  check_compiled("train_on_batch");
  build_if_possible();
  reset_metrics();
  StepResult r = train_step(x, y, sample_weight);
  NoGradGuard ng;
  update_metrics(y, r.y_pred, sample_weight, r.loss.item(), rows(x));
  Logs logs;
  for (auto& [k, v] : metric_values()) logs[k] = v;
  return logs;
}

Logs Model::test_on_batch(const Tensor& x, const Tensor& y, const Tensor& sample_weight) {
  check_compiled("test_on_batch");
  NoGradGuard ng;
  reset_metrics();
  Tensor y_pred = call({x}, false).at(0);
  update_metrics(y, y_pred, sample_weight, (*loss_)(y, y_pred, sample_weight).item(), rows(x));
  Logs logs;
  for (auto& [k, v] : metric_values()) logs[k] = v;
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
}  // namespace

History Model::run_fit(const std::function<NextBatch(int epoch)>& epoch_batches, int64_t steps,
                       const FitOptions& opts, const std::optional<ValidationData>& val) {
  History history;
  stop_training = false;
  fit_stats_ = FitStats{};
  for (auto& cb : opts.callbacks) cb->set_model(this);
  Logs logs;
  for (auto& cb : opts.callbacks) cb->on_train_begin(logs);
  const std::vector<FitObserver*> observers = fit_observers();  // after on_train_begin: callbacks may add some
  for (int epoch = opts.initial_epoch; epoch < opts.epochs && !stop_training; ++epoch) {
    reset_metrics();
    Logs epoch_logs;
    for (auto& cb : opts.callbacks) cb->on_epoch_begin(epoch, epoch_logs);
    if (opts.verbose == 1) *opts.out << "Epoch " << epoch + 1 << "/" << opts.epochs << "\n";
    ProgressBar bar(steps, opts.verbose, *opts.out);
    NextBatch next = epoch_batches(epoch);
    FitStats epoch_stats;
    int64_t step = 0;
    for (; (steps < 0 || step < steps) && !stop_training; ++step) {
      auto t0 = Clock::now();
      Batch b;
      bool more;
      {
        NoGradGuard ng;
        more = next(b);
        if (more) b.sw = batch_sample_weight(b.y, opts.class_weight, b.sw);
      }
      epoch_stats.input_seconds += seconds_since(t0);
      if (!more) break;
      auto t1 = Clock::now();
      Logs batch_logs;
      for (auto& cb : opts.callbacks) cb->on_train_batch_begin(step, batch_logs);
      for (FitObserver* o : observers) o->on_train_step_begin(*this, b.x, b.y, b.sw, epoch, step);
      StepResult r = train_step(b.x, b.y, b.sw);
      for (FitObserver* o : observers) o->on_train_step_end(*this);
      {
        NoGradGuard ng;
        update_metrics(b.y, r.y_pred, b.sw, r.loss.item(), rows(b.x));
      }
      auto values = metric_values();
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
    auto values = metric_values();
    for (auto& [k, v] : values) epoch_logs[k] = v;
    if (val) {
      EvaluateOptions eo{.batch_size = opts.batch_size, .verbose = 0};
      EvalResult vr = val->dataset ? evaluate(*val->dataset, eo) : evaluate(val->x, val->y, eo);
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

History Model::fit(const Tensor& x_all, const Tensor& y_all, FitOptions opts) {
  check_compiled("fit");
  NABLA_CHECK_SHAPE(rows(x_all) == rows(y_all), "fit: x has ", rows(x_all), " samples (shape ",
                    x_all.shape().str(), ") but y has ", rows(y_all), " (shape ", y_all.shape().str(), ")");
  NABLA_CHECK(opts.batch_size > 0, "fit: batch_size must be positive, got ", opts.batch_size);
  NABLA_CHECK(opts.validation_split >= 0 && opts.validation_split < 1, "fit: validation_split must be in [0, 1), got ",
              opts.validation_split);
  check_finite(x_all, "x");
  check_finite(y_all, "y");
  if (opts.sample_weight.defined())
    NABLA_CHECK_SHAPE(opts.sample_weight.numel() == rows(x_all), "fit: sample_weight has ", opts.sample_weight.numel(),
                      " values for ", rows(x_all), " samples");
  build_if_possible();
  for (FitObserver* o : fit_observers()) o->on_fit_data(*this, x_all, y_all);

  Tensor x = x_all, y = y_all, sw_all = opts.sample_weight;
  std::optional<ValidationData> val = opts.validation_data;
  if (opts.validation_split > 0) {
    int64_t n = rows(x_all);
    int64_t split = n - int64_t(std::floor(double(n) * opts.validation_split));
    NABLA_CHECK(split > 0 && split < n, "fit: validation_split ", opts.validation_split, " leaves no data on one side");
    x = slice(x_all, 0, 0, split);
    y = slice(y_all, 0, 0, split);
    if (sw_all.defined()) sw_all = slice(sw_all, 0, 0, split);
    val = ValidationData{slice(x_all, 0, split, n), slice(y_all, 0, split, n)};
  }

  int64_t n = rows(x);
  int64_t steps = opts.steps_per_epoch > 0 ? opts.steps_per_epoch : (n + opts.batch_size - 1) / opts.batch_size;
  // Batches are gathered rows of a permutation (a copy of 32 rows, not per-sample tensors); the position in the
  // permutation carries across epochs when steps_per_epoch cuts passes short.
  Tensor order = Tensor::arange(n, i64);
  int64_t cursor = 0;
  const bool shuffle = opts.shuffle;
  const int64_t bs = opts.batch_size;
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
        b.x = take_rows(x, idx);
        b.y = take_rows(y, idx);
        if (sw_all.defined()) b.sw = take_rows(sw_all, idx);
      } else {
        b.x = slice(x, 0, cursor, end);
        b.y = slice(y, 0, cursor, end);
        if (sw_all.defined()) b.sw = slice(sw_all, 0, cursor, end);
      }
      cursor = end;
      return true;
    };
  };
  pipeline_stats_.reset();
  return run_fit(epoch_batches, steps, opts, val);
}

namespace {
// Reads (x, y[, sample_weight]) from a pipeline element, naming what is wrong with it.
bool unpack(std::optional<data::Element> e, Tensor& x, Tensor& y, Tensor& sw, const char* who) {
  if (!e) return false;
  NABLA_CHECK(e->size() >= 2 && e->size() <= 3, who, ": dataset elements must be (x, y) or (x, y, sample_weight), "
              "got a tuple of ", e->size(), " tensors");
  x = (*e)[0];
  y = (*e)[1];
  sw = e->size() == 3 ? (*e)[2] : Tensor();
  NABLA_CHECK(x.dim() >= 1 && rows(x) == rows(y), who, ": a dataset element has x of shape ", x.shape().str(),
              " and y of shape ", y.shape().str(), "; batch the dataset (dataset.batch(32)) so that both have a "
              "leading batch axis of the same size");
  return true;
}
}  // namespace

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
      if (unpack(it->next(), b.x, b.y, b.sw, "fit")) return true;
      if (!continue_iterator) return false;
      it.emplace(dataset.make_iterator());
      return unpack(it->next(), b.x, b.y, b.sw, "fit");
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
  reset_metrics();
  ProgressBar bar(steps, opts.verbose, *opts.out);
  Logs logs;
  for (auto& cb : opts.callbacks) {
    cb->set_model(this);
    cb->on_test_begin(logs);
  }
  int64_t s = 0;
  Batch b;
  while ((steps < 0 || s < steps) && next(b)) {
    Tensor y_pred = call({b.x}, false).at(0);
    update_metrics(b.y, y_pred, b.sw, (*loss_)(b.y, y_pred, b.sw).item(), rows(b.x));
    bar.update(++s, metric_values());
  }
  EvalResult r{metric_values()};
  bar.update(s, r.values, true);
  for (auto& [k, v] : r.values) logs[k] = v;
  for (auto& cb : opts.callbacks) cb->on_test_end(logs);
  return r;
}

EvalResult Model::evaluate(const Tensor& x, const Tensor& y, EvaluateOptions opts) {
  NABLA_CHECK_SHAPE(rows(x) == rows(y), "evaluate: x has ", rows(x), " samples (shape ", x.shape().str(),
                    ") but y has ", rows(y), " (shape ", y.shape().str(), ")");
  NABLA_CHECK(opts.batch_size > 0, "evaluate: batch_size must be positive, got ", opts.batch_size);
  int64_t n = rows(x), pos = 0;
  NextBatch next = [&](Batch& b) {
    if (pos >= n) return false;
    int64_t e = std::min(pos + opts.batch_size, n);
    b.x = slice(x, 0, pos, e);
    b.y = slice(y, 0, pos, e);
    b.sw = opts.sample_weight.defined() ? slice(opts.sample_weight, 0, pos, e) : Tensor();
    pos = e;
    return true;
  };
  return run_evaluate(next, (n + opts.batch_size - 1) / opts.batch_size, opts);
}

EvalResult Model::evaluate(const data::Dataset& dataset, EvaluateOptions opts) {
  NABLA_CHECK(dataset.cardinality() != data::INFINITE_CARDINALITY, "evaluate: the dataset is infinite (repeat())");
  data::Iterator it = dataset.make_iterator();
  NextBatch next = [&](Batch& b) { return unpack(it.next(), b.x, b.y, b.sw, "evaluate"); };
  return run_evaluate(next, dataset.cardinality() >= 0 ? dataset.cardinality() : -1, opts);
}

Tensor Model::predict(const data::Dataset& dataset, PredictOptions) {
  NABLA_CHECK(dataset.cardinality() != data::INFINITE_CARDINALITY, "predict: the dataset is infinite (repeat())");
  build_if_possible();
  NoGradGuard ng;
  std::vector<Tensor> outs;
  data::Iterator it = dataset.make_iterator();
  while (auto e = it.next()) {
    NABLA_CHECK(!e->empty(), "predict: empty dataset element");
    outs.push_back(call({(*e)[0]}, false).at(0).detach());
  }
  if (outs.empty()) return Tensor();
  return outs.size() == 1 ? outs[0].contiguous() : concat(outs, 0);
}

Tensor Model::predict(const Tensor& x, PredictOptions opts) {
  build_if_possible();
  NoGradGuard ng;
  int64_t n = rows(x);
  std::vector<Tensor> outs;
  ProgressBar bar((n + opts.batch_size - 1) / opts.batch_size, opts.verbose, std::cout);
  for (int64_t b = 0, s = 0; b < n; b += opts.batch_size, ++s) {
    outs.push_back(call({slice(x, 0, b, std::min(b + opts.batch_size, n))}, false).at(0).detach());
    bar.update(s + 1, {});
  }
  bar.update(int64_t(outs.size()), {}, true);
  if (outs.empty()) return Tensor();
  return outs.size() == 1 ? outs[0].contiguous() : concat(outs, 0);
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
