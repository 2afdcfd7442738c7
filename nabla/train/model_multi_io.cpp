// Model::fit / evaluate / predict for several inputs and outputs (functional models). Kept apart from the
// single-tensor path in model.cpp, which stays lean because it is benchmarked.
#include <cmath>

#include "nabla/autograd/grad_mode.h"
#include "nabla/core/random.h"
#include "nabla/ops/math.h"
#include "nabla/ops/shape_ops.h"
#include "nabla/train/model.h"
#include "nabla/train/progress.h"

namespace nabla {

using callbacks::Logs;

namespace {

int64_t rows(const Tensor& t) { return t.dim() ? t.size(0) : 1; }

std::vector<Tensor> slice_all(const std::vector<Tensor>& ts, int64_t b, int64_t e) {
  std::vector<Tensor> r;
  for (const Tensor& t : ts) r.push_back(slice(t, 0, b, e));
  return r;
}

std::vector<Tensor> take_all(const std::vector<Tensor>& ts, const Tensor& idx) {
  std::vector<Tensor> r;
  for (const Tensor& t : ts) r.push_back(take_rows(t, idx));
  return r;
}

void check_rows(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, const char* what) {
  NABLA_CHECK(!xs.empty() && !ys.empty(), what, ": needs at least one input and one target");
  int64_t n = rows(xs[0]);
  for (size_t i = 0; i < xs.size(); ++i)
    NABLA_CHECK_SHAPE(rows(xs[i]) == n, what, ": input 0 has ", n, " samples but input ", i, " has ", rows(xs[i]),
                      " (shape ", xs[i].shape().str(), ")");
  for (size_t i = 0; i < ys.size(); ++i)
    NABLA_CHECK_SHAPE(rows(ys[i]) == n, what, ": inputs have ", n, " samples but target ", i, " has ", rows(ys[i]),
                      " (shape ", ys[i].shape().str(), ")");
}

}  // namespace

struct Model::MultiTrackers {
  std::vector<std::string> names;  // output names, for "<output>_loss"; empty with a single output
  metrics::MeanMetric total{"loss"};
  std::vector<metrics::MeanMetric> losses;
  std::vector<std::vector<metrics::MetricPtr>> metrics;  // [output][metric]

  void reset() {
    total.reset_state();
    for (auto& l : losses) l.reset_state();
    for (auto& ms : metrics)
      for (auto& m : ms) m->reset_state();
  }
  void update(const std::vector<Tensor>& ys, const std::vector<Tensor>& preds, const Tensor& sw,
              const std::vector<double>& per_output, int64_t n) {
    double sum = 0;
    for (size_t k = 0; k < per_output.size(); ++k) {
      sum += per_output[k];
      losses[k].add(per_output[k] * double(n), double(n));
      for (auto& m : metrics[k]) m->update_state(ys[k], preds[k].detach(), sw);
    }
    total.add(sum * double(n), double(n));
  }
  std::vector<std::pair<std::string, double>> values(const std::string& prefix = "") const {
    std::vector<std::pair<std::string, double>> v{{prefix + "loss", total.result()}};
    if (!names.empty())
      for (size_t k = 0; k < losses.size(); ++k) v.emplace_back(prefix + names[k] + "_loss", losses[k].result());
    for (const auto& ms : metrics)
      for (const auto& m : ms) v.emplace_back(prefix + m->name(), m->result());
    return v;
  }
};

Model::MultiTrackers Model::make_multi_trackers(size_t outputs) const {
  MultiTrackers t;
  t.losses.resize(outputs, metrics::MeanMetric("loss"));
  t.metrics.resize(outputs);
  if (outputs == 1) {
    t.metrics[0] = metrics_;
    return t;
  }
  t.names = output_names();
  if (t.names.size() != outputs) {
    t.names.clear();
    for (size_t k = 0; k < outputs; ++k) t.names.push_back("output_" + std::to_string(k + 1));
  }
  for (size_t k = 0; k < outputs; ++k)
    for (const auto& m : metrics_) {
      metrics::MetricPtr fresh;
      try {
        fresh = metrics::get(m->name(), loss_->accuracy_metric());
      } catch (const Error&) {
        throw ValueError("metric '" + m->name() + "' cannot be repeated for each of the model's " +
                         std::to_string(outputs) + " outputs; pass metrics by name to compile()");
      }
      fresh->set_name(t.names[k] + "_" + m->name());
      t.metrics[k].push_back(fresh);
    }
  return t;
}

History Model::fit(const std::vector<Tensor>& xs_all, const std::vector<Tensor>& ys_all, FitOptions opts) {
  if (xs_all.size() == 1 && ys_all.size() == 1) return fit(xs_all[0], ys_all[0], std::move(opts));
  check_compiled("fit");
  check_rows(xs_all, ys_all, "fit");
  NABLA_CHECK(opts.class_weight.empty(), "fit: class_weight needs a single output; with several inputs or outputs "
              "pass sample_weight");
  NABLA_CHECK(!opts.validation_data, "fit: validation_data holds one x and one y; with several inputs or outputs "
              "use validation_split, or evaluate() after fit");
  NABLA_CHECK(opts.batch_size > 0, "fit: batch_size must be positive, got ", opts.batch_size);
  NABLA_CHECK(opts.validation_split >= 0 && opts.validation_split < 1, "fit: validation_split must be in [0, 1), got ",
              opts.validation_split);
  if (opts.sample_weight.defined())
    NABLA_CHECK_SHAPE(opts.sample_weight.numel() == rows(xs_all[0]), "fit: sample_weight has ",
                      opts.sample_weight.numel(), " values for ", rows(xs_all[0]), " samples");
  build_if_possible();

  std::vector<Tensor> xs = xs_all, ys = ys_all, vxs, vys;
  Tensor sw_all = opts.sample_weight;
  if (opts.validation_split > 0) {
    int64_t n = rows(xs_all[0]);
    int64_t split = n - int64_t(std::floor(double(n) * opts.validation_split));
    NABLA_CHECK(split > 0 && split < n, "fit: validation_split ", opts.validation_split, " leaves no data on one side");
    xs = slice_all(xs_all, 0, split);
    ys = slice_all(ys_all, 0, split);
    vxs = slice_all(xs_all, split, n);
    vys = slice_all(ys_all, split, n);
    if (sw_all.defined()) sw_all = slice(sw_all, 0, 0, split);
  }

  const int64_t n = rows(xs[0]);
  const int64_t steps = opts.steps_per_epoch > 0 ? opts.steps_per_epoch : (n + opts.batch_size - 1) / opts.batch_size;
  MultiTrackers tr = make_multi_trackers(ys.size());
  if (trainable_cache_.empty()) trainable_cache_ = trainable_weights();
  History history;
  stop_training = false;
  for (auto& cb : opts.callbacks) cb->set_model(this);
  Logs logs;
  for (auto& cb : opts.callbacks) cb->on_train_begin(logs);

  Tensor order = Tensor::arange(n, i64);
  int64_t cursor = 0;
  for (int epoch = opts.initial_epoch; epoch < opts.epochs && !stop_training; ++epoch) {
    tr.reset();
    Logs epoch_logs;
    for (auto& cb : opts.callbacks) cb->on_epoch_begin(epoch, epoch_logs);
    if (opts.verbose == 1) *opts.out << "Epoch " << epoch + 1 << "/" << opts.epochs << "\n";
    ProgressBar bar(steps, opts.verbose, *opts.out);
    int64_t step = 0;
    for (; step < steps && !stop_training; ++step) {
      if (cursor >= n) cursor = 0;
      if (cursor == 0 && opts.shuffle) {
        int64_t* p = order.data<int64_t>();
        Generator& g = default_generator();
        for (int64_t i = n - 1; i > 0; --i) std::swap(p[i], p[int64_t(g.randint(uint64_t(i + 1)))]);
      }
      int64_t end = std::min(cursor + opts.batch_size, n);
      Tensor idx = slice(order, 0, cursor, end);
      int64_t nb = end - cursor;
      cursor = end;
      std::vector<Tensor> xb, yb;
      Tensor swb;
      {
        NoGradGuard ng;
        xb = opts.shuffle ? take_all(xs, idx) : slice_all(xs, end - nb, end);
        yb = opts.shuffle ? take_all(ys, idx) : slice_all(ys, end - nb, end);
        if (sw_all.defined()) swb = opts.shuffle ? take_rows(sw_all, idx) : slice(sw_all, 0, end - nb, end);
      }
      Logs batch_logs;
      for (auto& cb : opts.callbacks) cb->on_train_batch_begin(step, batch_logs);

      optim::Optimizer::zero_grad(trainable_cache_);
      std::vector<Tensor> preds = call(xb, true);
      NABLA_CHECK(preds.size() == yb.size(), "fit: model '", name_, "' has ", preds.size(), " outputs but ",
                  yb.size(), " targets were given");
      Tensor total;
      std::vector<double> per_output;
      for (size_t k = 0; k < preds.size(); ++k) {
        Tensor l = (*loss_)(yb[k], preds[k], swb);
        total = k == 0 ? l : total + l;
        per_output.push_back(l.item());
      }
      total.backward();
      optimizer_->step(trainable_cache_);
      {
        NoGradGuard ng;
        tr.update(yb, preds, swb, per_output, nb);
      }
      auto values = tr.values();
      if (!opts.callbacks.empty()) {
        for (auto& [k, v] : values) batch_logs[k] = v;
        for (auto& cb : opts.callbacks) cb->on_train_batch_end(step, batch_logs);
      }
      bar.update(step + 1, values);
    }
    auto values = tr.values();
    for (auto& [k, v] : values) epoch_logs[k] = v;
    if (!vxs.empty()) {
      EvalResult vr = evaluate(vxs, vys, {.batch_size = opts.batch_size, .verbose = 0});
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

EvalResult Model::evaluate(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, EvaluateOptions opts) {
  if (xs.size() == 1 && ys.size() == 1) return evaluate(xs[0], ys[0], std::move(opts));
  check_compiled("evaluate");
  check_rows(xs, ys, "evaluate");
  NABLA_CHECK(opts.batch_size > 0, "evaluate: batch_size must be positive, got ", opts.batch_size);
  build_if_possible();
  NoGradGuard ng;
  MultiTrackers tr = make_multi_trackers(ys.size());
  const int64_t n = rows(xs[0]);
  const int64_t steps = (n + opts.batch_size - 1) / opts.batch_size;
  ProgressBar bar(steps, opts.verbose, *opts.out);
  Logs logs;
  for (auto& cb : opts.callbacks) {
    cb->set_model(this);
    cb->on_test_begin(logs);
  }
  for (int64_t s = 0; s < steps; ++s) {
    int64_t b = s * opts.batch_size, e = std::min(b + opts.batch_size, n);
    std::vector<Tensor> xb = slice_all(xs, b, e), yb = slice_all(ys, b, e);
    Tensor swb = opts.sample_weight.defined() ? slice(opts.sample_weight, 0, b, e) : Tensor();
    std::vector<Tensor> preds = call(xb, false);
    NABLA_CHECK(preds.size() == yb.size(), "evaluate: model '", name_, "' has ", preds.size(), " outputs but ",
                yb.size(), " targets were given");
    std::vector<double> per_output;
    for (size_t k = 0; k < preds.size(); ++k) per_output.push_back((*loss_)(yb[k], preds[k], swb).item());
    tr.update(yb, preds, swb, per_output, e - b);
    bar.update(s + 1, tr.values());
  }
  EvalResult r{tr.values()};
  bar.update(steps, r.values, true);
  for (auto& [k, v] : r.values) logs[k] = v;
  for (auto& cb : opts.callbacks) cb->on_test_end(logs);
  return r;
}

std::vector<Tensor> Model::predict(const std::vector<Tensor>& xs, PredictOptions opts) {
  NABLA_CHECK(!xs.empty(), "predict: needs at least one input");
  NABLA_CHECK(opts.batch_size > 0, "predict: batch_size must be positive, got ", opts.batch_size);
  build_if_possible();
  NoGradGuard ng;
  const int64_t n = rows(xs[0]);
  for (size_t i = 1; i < xs.size(); ++i)
    NABLA_CHECK_SHAPE(rows(xs[i]) == n, "predict: input 0 has ", n, " samples but input ", i, " has ", rows(xs[i]));
  std::vector<std::vector<Tensor>> parts;
  ProgressBar bar((n + opts.batch_size - 1) / opts.batch_size, opts.verbose, std::cout);
  int64_t s = 0;
  for (int64_t b = 0; b < n; b += opts.batch_size, ++s) {
    std::vector<Tensor> outs = call(slice_all(xs, b, std::min(b + opts.batch_size, n)), false);
    parts.resize(outs.size());
    for (size_t k = 0; k < outs.size(); ++k) parts[k].push_back(outs[k].detach());
    bar.update(s + 1, {});
  }
  bar.update(s, {}, true);
  std::vector<Tensor> r;
  for (auto& p : parts) r.push_back(p.size() == 1 ? p[0].contiguous() : concat(p, 0));
  return r;
}

}  // namespace nabla
