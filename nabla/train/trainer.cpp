// The training loops (Keras's trainer): fit, evaluate and predict over tensors or datasets. Each entry point
// adapts its data to batches (data_adapter.h) and runs one loop; the step on one batch is Model::run_step
// (model.cpp).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <tuple>

#include "nabla/autograd/grad_mode.h"
#include "nabla/ops/shape_ops.h"
#include "nabla/train/class_weight.h"
#include "nabla/train/data_parallel.h"
#include "nabla/train/data_adapter.h"
#include "nabla/train/fit_observer.h"
#include "nabla/train/metric_trackers.h"
#include "nabla/train/model.h"
#include "nabla/train/progress.h"
#include "nabla/train/step_thread_tuner.h"
#include "nabla/train/validation_split.h"

namespace nabla {

using callbacks::Logs;
using detail::Batch;
using detail::rows;

namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
}  // namespace

std::string FitStats::str() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "%lld steps: %.1f%% of the time waiting for input (%.3fs input, %.3fs compute)",
                static_cast<long long>(steps), 100.0 * input_wait_fraction(), input_seconds, step_seconds);
  return buf;
}

// ---- fit ----

History Model::fit(const Tensor& x, const Tensor& y, FitOptions opts) {
  return fit(std::vector<Tensor>{x}, std::vector<Tensor>{y}, std::move(opts));
}

History Model::fit(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, FitOptions opts) {
  check_compiled("fit");
  detail::check_rows(xs, ys, "fit");
  if (opts.batch_size <= 0)
    throw ValueError(detail::concat("fit: batch_size must be positive, got ", opts.batch_size));
  if (!(opts.validation_split >= 0 && opts.validation_split < 1))
    throw ValueError(detail::concat("fit: validation_split must be in [0, 1), got ", opts.validation_split));
  for (const Tensor& x : xs) detail::check_finite(x, "x");
  for (const Tensor& y : ys) detail::check_finite(y, "y");
  const int64_t n_all = rows(xs[0]);
  if (opts.sample_weight.defined())
    NABLA_CHECK_SHAPE(rows(opts.sample_weight) == n_all, "fit: sample_weight has ", rows(opts.sample_weight),
                      " rows for ", n_all, " samples");
  build_if_possible();
  if (xs.size() == 1 && ys.size() == 1)
    for (FitObserver* o : fit_observers()) o->on_fit_data(*this, xs[0], ys[0]);

  detail::SplitData train{xs, ys, opts.sample_weight};
  std::optional<ValidationData> val = opts.validation_data;
  if (opts.validation_split > 0) {
    auto [tr, va] = detail::validation_split(xs, ys, opts.sample_weight, opts.validation_split,
                                             opts.stratify_validation_split);
    train = std::move(tr);
    val = ValidationData{std::move(va.xs), std::move(va.ys)};
  }
  detail::TensorAdapter data(std::move(train.xs), std::move(train.ys), std::move(train.sample_weight),
                             opts.batch_size, opts.shuffle);
  data.cast_inputs_to(detail::input_float_dtype(weights()));
  if (data_parallel_)  // each replica reads its part of every global batch
    data.shard(data_parallel_->replica_id(), data_parallel_->num_replicas(), data_parallel_->shared_seed());
  const int64_t steps = opts.steps_per_epoch > 0 ? opts.steps_per_epoch : data.num_batches();
  pipeline_stats_.reset();
  return run_fit([&](int) -> NextBatch {
    return [&](Batch& b) {
      data.next(b);  // tensors never run dry: a new pass starts
      return true;
    };
  }, steps, opts, val, &data);
}

History Model::fit(const data::Dataset& dataset, FitOptions opts) {
  check_compiled("fit");
  if (opts.validation_split != 0)
    throw ValueError("fit: validation_split is not supported for datasets; pass validation_data");
  if (opts.steps_per_epoch <= 0 && dataset.cardinality() == data::INFINITE_CARDINALITY)
    throw ValueError("fit: the dataset is infinite (repeat()); pass steps_per_epoch");
  build_if_possible();
  // Data-parallel: each replica reads every num_replicas-th batch; those whose shard runs dry first join.
  const int replicas = data_parallel_ ? data_parallel_->num_replicas() : 1;
  const data::Dataset shard = data_parallel_ ? dataset.shard(replicas, data_parallel_->replica_id()) : dataset;
  const int64_t steps = opts.steps_per_epoch > 0 ? opts.steps_per_epoch
                        : dataset.cardinality() >= 0 ? (dataset.cardinality() + replicas - 1) / replicas : -1;
  detail::DatasetAdapter data(shard, opts.steps_per_epoch > 0, "fit");
  History h = run_fit([&](int) -> NextBatch {
    data.begin_epoch();
    return [&](Batch& b) { return detail::agree_on_batch(data_parallel_, data.next(b), b); };
  }, steps, opts, opts.validation_data, nullptr, &data);
  pipeline_stats_ = data.stats();
  return h;
}

// The epoch loop shared by fit on tensors and on datasets: per epoch, per step, read a batch (timed as input),
// weigh it, run the step (timed as compute), report; then validate and record the epoch.
History Model::run_fit(const std::function<NextBatch(int epoch)>& epoch_batches, int64_t steps,
                       const FitOptions& fit_opts, const std::optional<ValidationData>& val,
                       detail::TensorAdapter* tensors, detail::DatasetAdapter* dataset) {
  DataParallel* dp = data_parallel_;
  const FitOptions opts = detail::replica_fit_options(dp, fit_opts);
  const bool agree = dp && !fit_opts.callbacks.empty();  // callbacks may stop training: all replicas stop at once
  const detail::ClassWeighting class_weighting(
      opts.class_weight, opts.class_weights, output_names(), output_shapes(), [this] { return num_classes_hint(); },
      loss_->sparse_targets(), name_);
  History history;
  stop_training = false;
  layers_stale_ = true;  // a subclass may have changed its layers without saying so
  fit_stats_ = FitStats{};
  std::optional<detail::MetricTrackers> tr;  // sized by the first batch's number of outputs
  for (auto& cb : opts.callbacks) cb->set_model(this);
  Logs logs;
  fit_tensors_ = tensors;
  fit_dataset_ = dataset;
  struct ForgetAdapters {  // the adapters die with the caller's frame, also when a step throws
    Model& m;
    ~ForgetAdapters() {
      m.fit_tensors_ = nullptr;
      m.fit_dataset_ = nullptr;
    }
  } forget_adapters{*this};
  fit_val_ = val ? &*val : nullptr;
  struct ForgetVal {
    const ValidationData*& p;
    ~ForgetVal() { p = nullptr; }
  } forget_val{fit_val_};
  fit_epoch_ = opts.initial_epoch;
  fit_step_ = 0;
  resume_.reset();
  for (auto& cb : opts.callbacks) cb->on_train_begin(logs);
  // A callback (BackupAndRestore) may have asked to continue where an earlier fit stopped: that epoch, after
  // that many steps, with the data where it was.
  int first_epoch = opts.initial_epoch;
  int64_t first_step = 0;
  if (resume_) {
    first_epoch = resume_->epoch;
    first_step = resume_->step;
    if (tensors) {
      tensors->set_position(std::move(resume_->data_order), resume_->data_cursor);
      // The shared shuffle seed and pass count of the run that wrote the backup: later passes draw the orders it
      // would have drawn (the seed drawn at this fit's start would start the sequence over).
      if (resume_->shuffle_seed && resume_->data_passes >= 0)
        tensors->set_shuffle_state(*resume_->shuffle_seed, uint64_t(resume_->data_passes));
    }
    if (dataset) {
      if (resume_->data_passes >= 0)
        dataset->resume_at(resume_->data_passes, resume_->data_cursor);
      else if (first_step > 0)
        dataset->resume_at(0, first_step);  // an older backup: skip the epoch's trained batches of a fresh pass
    }
    const int replicas = dp ? dp->num_replicas() : 1;
    if (resume_->replicas != replicas && first_step > 0) {
      // Another number of processes: the global batch changed, so the position is the sample (the cursor, a
      // global row of the shared order), and the step is recounted as the epoch's steps less those left.
      if (!tensors || fit_opts.steps_per_epoch > 0)
        throw ValueError(detail::concat("fit: the backup was taken mid-epoch on ", resume_->replicas,
                                        " processes; resuming it on ", replicas,
                                        " needs fit on tensors without steps_per_epoch (or a backup at an epoch end)"));
      first_step = std::max<int64_t>(0, steps - tensors->batches_left());
    }
    resume_.reset();
  }
  if (dp) dp->sync_model(*this);  // after on_train_begin: a restored chief is what every replica starts from
  const std::vector<FitObserver*> observers = fit_observers();  // after on_train_begin: callbacks may add some
  detail::StepThreadTuner threads;  // 1 thread when a busy core makes the configured count slower
  for (int epoch = first_epoch; epoch < opts.epochs && !detail::replicas_stop(dp, stop_training, dp != nullptr);
       ++epoch) {
    fit_epoch_ = epoch;
    fit_step_ = epoch == first_epoch ? first_step : 0;
    if (tr) tr->reset();
    Logs epoch_logs;
    for (auto& cb : opts.callbacks) cb->on_epoch_begin(epoch, epoch_logs);
    if (opts.verbose == 1) *opts.out << "Epoch " << epoch + 1 << "/" << opts.epochs << "\n";
    ProgressBar bar(steps, opts.verbose, *opts.out);
    NextBatch next = epoch_batches(epoch);
    FitStats epoch_stats;
    int64_t step = fit_step_;
    Batch b;
    for (; (steps < 0 || step < steps) && !detail::replicas_stop(dp, stop_training, agree); ++step) {
      auto t0 = Clock::now();
      bool more;
      {
        NoGradGuard ng;
        more = next(b);
        if (more && !b.xs.empty()) class_weighting.apply(b);
      }
      epoch_stats.input_seconds += seconds_since(t0);
      if (!more) break;
      auto t1 = Clock::now();
      if (b.xs.empty()) {  // data-parallel: this replica's shard ran dry; it joins the others' step
        const std::vector<Tensor> params = trainable_weights();
        dp->join_step(params);
        optimizer_->step(params);
        continue;
      }
      if (!tr) {
        tr.emplace(make_trackers(b.ys.size()));
        tr->reset();
      }
      Logs batch_logs;
      for (auto& cb : opts.callbacks) cb->on_train_batch_begin(step, batch_logs);
      // Observers (debug/'s NaN dumps) see single-input, single-output batches.
      const bool observe = !observers.empty() && b.xs.size() == 1 && b.ys.size() == 1;
      if (observe)
        for (FitObserver* o : observers) o->on_train_step_begin(*this, b.xs[0], b.ys[0], b.weight(0), epoch, step);
      threads.before_step();
      const auto ts = Clock::now();
      run_step(b, true, *tr);
      threads.after_step(seconds_since(ts));
      if (observe)
        for (FitObserver* o : observers) o->on_train_step_end(*this);
      auto values = tr->values();
      fit_step_ = step + 1;
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
    detail::average_values(dp, values);  // data-parallel: every replica logs the same (averaged) metrics
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
    fit_epoch_ = epoch + 1;  // a backup taken now resumes at the next epoch's start
    fit_step_ = 0;
    for (auto& cb : opts.callbacks) cb->on_epoch_end(epoch, epoch_logs);
    history.epoch.push_back(epoch);
    for (auto& [k, v] : epoch_logs) history.history[k].push_back(v);
  }
  for (auto& cb : opts.callbacks) cb->on_train_end(logs);
  return history;
}

FitPosition Model::fit_position() const {
  FitPosition p{fit_epoch_, fit_step_, {}, 0, data_parallel_ ? data_parallel_->num_replicas() : 1};
  if (fit_tensors_) {
    p.data_order = fit_tensors_->order();
    p.data_cursor = fit_tensors_->cursor();
    p.shuffle_seed = fit_tensors_->shuffle_seed();
    p.data_passes = int64_t(fit_tensors_->passes());
  }
  if (fit_dataset_) std::tie(p.data_passes, p.data_cursor) = fit_dataset_->position(fit_step_ == 0);
  return p;
}

// ---- evaluate ----

EvalResult Model::evaluate(const Tensor& x, const Tensor& y, EvaluateOptions opts) {
  return evaluate(std::vector<Tensor>{x}, std::vector<Tensor>{y}, std::move(opts));
}

EvalResult Model::evaluate(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, EvaluateOptions opts) {
  detail::check_rows(xs, ys, "evaluate");
  if (opts.batch_size <= 0)
    throw ValueError(detail::concat("evaluate: batch_size must be positive, got ", opts.batch_size));
  build_if_possible();
  detail::TensorAdapter data(xs, ys, opts.sample_weight, opts.batch_size, false);
  data.cast_inputs_to(detail::input_float_dtype(weights()));
  int64_t left = data.num_batches();  // one pass
  return run_evaluate([&](Batch& b) { return left-- > 0 && (data.next(b), true); }, data.num_batches(), opts);
}

EvalResult Model::evaluate(const data::Dataset& dataset, EvaluateOptions opts) {
  if (dataset.cardinality() == data::INFINITE_CARDINALITY)
    throw ValueError("evaluate: the dataset is infinite (repeat())");
  detail::DatasetAdapter data(dataset, false, "evaluate");
  return run_evaluate([&](Batch& b) { return data.next(b); }, dataset.cardinality() >= 0 ? dataset.cardinality() : -1,
                      opts);
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
  std::optional<detail::MetricTrackers> tr;
  int64_t s = 0;
  Batch b;
  while ((steps < 0 || s < steps) && next(b)) {
    if (!tr) {
      tr.emplace(make_trackers(b.ys.size()));
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

// ---- predict ----

Tensor Model::predict(const Tensor& x, PredictOptions opts) { return predict(std::vector<Tensor>{x}, opts).at(0); }

std::vector<Tensor> Model::predict(const std::vector<Tensor>& xs, PredictOptions opts) {
  if (xs.empty()) throw ValueError("predict: needs at least one input");
  if (opts.batch_size <= 0)
    throw ValueError(detail::concat("predict: batch_size must be positive, got ", opts.batch_size));
  const int64_t n = rows(xs[0]);
  for (size_t i = 1; i < xs.size(); ++i)
    NABLA_CHECK_SHAPE(rows(xs[i]) == n, "predict: input 0 has ", n, " samples but input ", i, " has ", rows(xs[i]));
  build_if_possible();
  const DType input_dtype = detail::input_float_dtype(weights());
  int64_t pos = 0;
  return predict_batches([&](std::vector<Tensor>& batch) {
    if (pos >= n) return false;
    batch = detail::slice_rows(xs, pos, std::min(pos + opts.batch_size, n));
    detail::cast_floating(batch, input_dtype);
    pos += opts.batch_size;
    return true;
  }, (n + opts.batch_size - 1) / opts.batch_size, opts);
}

Tensor Model::predict(const data::Dataset& dataset, PredictOptions opts) {
  if (dataset.cardinality() == data::INFINITE_CARDINALITY)
    throw ValueError("predict: the dataset is infinite (repeat())");
  data::Iterator it = dataset.make_iterator();
  return predict_batches([&](std::vector<Tensor>& batch) {
    auto e = it.next();
    if (!e) return false;
    if (e->empty()) throw ValueError("predict: empty dataset element");
    batch.assign(1, (*e)[0]);
    return true;
  }, dataset.cardinality() >= 0 ? dataset.cardinality() : -1, opts).at(0);
}

std::vector<Tensor> Model::predict_batches(const std::function<bool(std::vector<Tensor>&)>& next, int64_t steps,
                                           const PredictOptions& opts) {
  build_if_possible();
  NoGradGuard ng;
  std::vector<std::vector<Tensor>> parts;
  ProgressBar bar(steps, opts.verbose, *opts.out);
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

}  // namespace nabla
