#include "nabla/train/model.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

#include "nabla/autograd/grad_mode.h"
#include "nabla/core/random.h"
#include "nabla/ops/shape_ops.h"
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
  History history;
  stop_training = false;
  for (auto& cb : opts.callbacks) cb->set_model(this);
  Logs logs;
  for (auto& cb : opts.callbacks) cb->on_train_begin(logs);

  Tensor order = Tensor::arange(n, i64);
  int64_t cursor = 0;  // position in `order`, carried across epochs when steps_per_epoch is set
  for (int epoch = opts.initial_epoch; epoch < opts.epochs && !stop_training; ++epoch) {
    reset_metrics();
    Logs epoch_logs;
    for (auto& cb : opts.callbacks) cb->on_epoch_begin(epoch, epoch_logs);
    if (opts.verbose == 1) *opts.out << "Epoch " << epoch + 1 << "/" << opts.epochs << "\n";
    ProgressBar bar(steps, opts.verbose, *opts.out);
    int64_t step = 0;
    for (; step < steps && !stop_training; ++step) {
      if (cursor >= n) cursor = 0;
      if (cursor == 0 && opts.shuffle) {  // a fresh permutation per pass (Fisher-Yates)
        int64_t* p = order.data<int64_t>();
        Generator& g = default_generator();
        for (int64_t i = n - 1; i > 0; --i) std::swap(p[i], p[int64_t(g.randint(uint64_t(i + 1)))]);
      }
      int64_t end = std::min(cursor + opts.batch_size, n);
      Tensor idx = slice(order, 0, cursor, end);
      cursor = end;
      Tensor xb, yb, swb;
      {
        NoGradGuard ng;
        xb = opts.shuffle ? take_rows(x, idx) : slice(x, 0, end - idx.numel(), end);
        yb = opts.shuffle ? take_rows(y, idx) : slice(y, 0, end - idx.numel(), end);
        if (sw_all.defined()) swb = opts.shuffle ? take_rows(sw_all, idx) : slice(sw_all, 0, end - idx.numel(), end);
        swb = batch_sample_weight(yb, opts.class_weight, swb);
      }
      Logs batch_logs;
      for (auto& cb : opts.callbacks) cb->on_train_batch_begin(step, batch_logs);
      StepResult r = train_step(xb, yb, swb);
      {
        NoGradGuard ng;
        update_metrics(yb, r.y_pred, swb, r.loss.item(), rows(xb));
      }
      auto values = metric_values();
      if (!opts.callbacks.empty()) {
        for (auto& [k, v] : values) batch_logs[k] = v;
        for (auto& cb : opts.callbacks) cb->on_train_batch_end(step, batch_logs);
      }
      bar.update(step + 1, values);
    }
    auto values = metric_values();
    for (auto& [k, v] : values) epoch_logs[k] = v;
    if (val) {
      EvalResult vr = evaluate(val->first, val->second, {.batch_size = opts.batch_size, .verbose = 0});
      for (auto& [k, v] : vr.values) {
        epoch_logs["val_" + k] = v;
        values.emplace_back("val_" + k, v);
      }
    }
    bar.update(step, values, true);
    for (auto& cb : opts.callbacks) cb->on_epoch_end(epoch, epoch_logs);
    history.epoch.push_back(epoch);
    for (auto& [k, v] : epoch_logs) history.history[k].push_back(v);
  }
  for (auto& cb : opts.callbacks) cb->on_train_end(logs);
  return history;
}

EvalResult Model::evaluate(const Tensor& x, const Tensor& y, EvaluateOptions opts) {
  check_compiled("evaluate");
  NABLA_CHECK_SHAPE(rows(x) == rows(y), "evaluate: x has ", rows(x), " samples (shape ", x.shape().str(),
                    ") but y has ", rows(y), " (shape ", y.shape().str(), ")");
  build_if_possible();
  NoGradGuard ng;
  reset_metrics();
  int64_t n = rows(x);
  int64_t steps = (n + opts.batch_size - 1) / opts.batch_size;
  ProgressBar bar(steps, opts.verbose, *opts.out);
  Logs logs;
  for (auto& cb : opts.callbacks) {
    cb->set_model(this);
    cb->on_test_begin(logs);
  }
  for (int64_t s = 0; s < steps; ++s) {
    int64_t b = s * opts.batch_size, e = std::min(b + opts.batch_size, n);
    Tensor xb = slice(x, 0, b, e), yb = slice(y, 0, b, e);
    Tensor swb = opts.sample_weight.defined() ? slice(opts.sample_weight, 0, b, e) : Tensor();
    Tensor y_pred = call({xb}, false).at(0);
    update_metrics(yb, y_pred, swb, (*loss_)(yb, y_pred, swb).item(), e - b);
    bar.update(s + 1, metric_values());
  }
  EvalResult r{metric_values()};
  bar.update(steps, r.values, true);
  for (auto& [k, v] : r.values) logs[k] = v;
  for (auto& cb : opts.callbacks) cb->on_test_end(logs);
  return r;
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
