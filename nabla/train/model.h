#pragma once
// Model: Keras's training API over any network of layers. Subclasses (Sequential, the functional Model)
// provide call(); this class provides compile, fit, evaluate, predict, train_on_batch and summary. Its
// definitions are split by job (docs/design.md, "Training"): model.cpp (compile, the step on one batch, what
// it trains), trainer.cpp (the fit/evaluate/predict loops), summary.cpp, weights_io.cpp; the loops' helpers
// are data_adapter.*, validation_split.*, class_weight.*, compile_utils.* and metric_trackers.*.
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nabla/data/dataset.h"
#include "nabla/nn/layer.h"
#include "nabla/optim/optimizer.h"
#include "nabla/train/callback.h"
#include "nabla/train/history.h"
#include "nabla/train/losses.h"
#include "nabla/train/metrics.h"

namespace nabla {

class DataParallel;

namespace detail {
struct Batch;
struct MetricTrackers;
class TensorAdapter;
}  // namespace detail

// Where a running fit stands, for callbacks that back training up and resume it exactly (BackupAndRestore).
// Random state lives elsewhere (the default generator, layers' seed_generators()).
struct FitPosition {
  int epoch = 0;      // the epoch in progress (0-based); after its on_epoch_end, the next one with step 0
  int64_t step = 0;   // steps completed in it
  // fit on tensors: the current pass's row order (empty without shuffle) and the next row; a dataset has none
  // (a resumed dataset fit skips `step` batches of a fresh iterator).
  std::vector<int64_t> data_order;
  int64_t data_cursor = 0;
  // Data-parallel: the processes that trained up to here. Resumed on another number, a fit on tensors continues
  // at data_cursor (a global row) and recounts `step` in its own global batches.
  int replicas = 1;
};

// Accepts a Keras name or an object, so compile("adam", ...) and compile(std::make_shared<Adam>(...), ...)
// both read naturally.
struct OptimizerArg {
  optim::OptimizerPtr ptr;
  OptimizerArg(const char* name) : ptr(optim::get(name)) {}
  OptimizerArg(const std::string& name) : ptr(optim::get(name)) {}
  template <class T>
  OptimizerArg(std::shared_ptr<T> p) : ptr(std::move(p)) {}
};
struct LossArg {
  losses::LossPtr ptr;
  LossArg(const char* name) : ptr(losses::get(name)) {}
  LossArg(const std::string& name) : ptr(losses::get(name)) {}
  template <class T>
  LossArg(std::shared_ptr<T> p) : ptr(std::move(p)) {}
};
struct MetricArg {
  std::string name;            // resolved at compile time against the loss
  metrics::MetricPtr ptr;
  MetricArg(const char* n) : name(n) {}
  MetricArg(const std::string& n) : name(n) {}
  template <class T>
  MetricArg(std::shared_ptr<T> p) : ptr(std::move(p)) {}
};

// Validation data: tensors (x, y), lists of tensors for several inputs/outputs, or a dataset of
// (x, y[, sample_weight]) batches.
struct ValidationData {
  std::vector<Tensor> xs, ys;
  std::optional<data::Dataset> dataset;
  ValidationData(Tensor x, Tensor y) : xs{std::move(x)}, ys{std::move(y)} {}
  ValidationData(std::pair<Tensor, Tensor> xy) : xs{std::move(xy.first)}, ys{std::move(xy.second)} {}
  ValidationData(std::vector<Tensor> x, std::vector<Tensor> y) : xs(std::move(x)), ys(std::move(y)) {}
  ValidationData(data::Dataset ds) : dataset(std::move(ds)) {}
};

// Where fit's time went: the step itself vs waiting for the next batch (the input pipeline, or slicing tensors).
struct FitStats {
  double input_seconds = 0;  // waiting for batches
  double step_seconds = 0;   // forward, backward, update, metrics
  int64_t steps = 0;
  double input_wait_fraction() const {
    double t = input_seconds + step_seconds;
    return t > 0 ? input_seconds / t : 0.0;
  }
  std::string str() const;
};

struct FitOptions {
  int epochs = 1;
  int64_t batch_size = 32;
  int verbose = 1;
  std::vector<callbacks::CallbackPtr> callbacks;
  double validation_split = 0;                    // last fraction of x/y, taken before shuffling (as Keras)
  bool stratify_validation_split = false;         // ... the last fraction of each class instead (same class mix)
  std::optional<ValidationData> validation_data;
  bool shuffle = true;
  std::map<int64_t, double> class_weight;         // class id -> weight; absent classes weigh 1
  // Per output of a multi-output model, keyed by output name (output_names()): output -> class id -> weight.
  // Outputs not named get sample_weight alone. Exclusive with class_weight.
  std::map<std::string, std::map<int64_t, double>> class_weights;
  Tensor sample_weight;                           // [N] per-sample, or per-element (the labels' shape) weights
  int initial_epoch = 0;
  int64_t steps_per_epoch = -1;                   // -1: one pass over the data (or the dataset)
  int64_t validation_steps = -1;                  // -1: all of the validation data
  std::ostream* out = &std::cout;                 // where the progress bar goes
};

struct EvaluateOptions {
  int64_t batch_size = 32;
  int verbose = 1;
  Tensor sample_weight;
  std::vector<callbacks::CallbackPtr> callbacks;
  std::ostream* out = &std::cout;
};

struct PredictOptions {
  int64_t batch_size = 32;
  int verbose = 0;
  std::ostream* out = &std::cout;                 // where the progress bar goes
};

// evaluate()'s result: Keras returns [loss, metric...]; here by name, in that order.
struct EvalResult {
  std::vector<std::pair<std::string, double>> values;
  double operator[](const std::string& key) const;
  double loss() const { return values.at(0).second; }
};

class Model {
 public:
  explicit Model(std::string name) : name_(std::move(name)) {}
  virtual ~Model() = default;
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  // The forward pass. inputs/outputs are lists for functional models; Sequential has one of each.
  virtual std::vector<Tensor> call(const std::vector<Tensor>& inputs, bool training) = 0;
  // The forward pass with each output's mask (undefined: none), carried through the layers that support
  // masking (Masking, Embedding(mask_zero), Dense, ...); the loss and metrics honour it as Keras does. Default:
  // call() with no masks (a subclass that knows its layers overrides it).
  virtual std::vector<Tensor> call_with_masks(const std::vector<Tensor>& inputs, bool training,
                                              std::vector<Tensor>& output_masks);
  Tensor operator()(const Tensor& x, bool training = false);
  // Every layer, in order (for summary, weights, save/load).
  virtual std::vector<nn::LayerPtr> layers() const = 0;
  // Builds weights if an input shape is known without data (Sequential with input_shape, functional models).
  virtual void build_if_possible() {}
  // Output shapes (batch axis -1) per layer for summary; empty if unknown.
  virtual std::vector<std::pair<nn::LayerPtr, Shape>> layer_output_shapes() const = 0;
  // Names of the outputs (their layers' names) where known; used to name per-output losses and metrics.
  virtual std::vector<std::string> output_names() const { return {}; }
  // Output shapes (batch axis -1), in output order, where known; they bound the class ids of class_weights.
  virtual std::vector<Shape> output_shapes() const { return {}; }

  // metrics ignore sample weights; weighted_metrics use them (class_weight and sample_weight) and are reported
  // as separate entries named "weighted_<name>", as Keras.
  void compile(OptimizerArg optimizer, LossArg loss, std::vector<MetricArg> metrics = {},
               std::vector<MetricArg> weighted_metrics = {});
  History fit(const Tensor& x, const Tensor& y, FitOptions opts = {});
  EvalResult evaluate(const Tensor& x, const Tensor& y, EvaluateOptions opts = {});
  Tensor predict(const Tensor& x, PredictOptions opts = {});
  // The same on a pipeline whose elements are batches (x, y[, sample_weight]) (predict reads x only).
  History fit(const data::Dataset& dataset, FitOptions opts = {});
  EvalResult evaluate(const data::Dataset& dataset, EvaluateOptions opts = {});
  Tensor predict(const data::Dataset& dataset, PredictOptions opts = {});
  // Time split of the latest fit (is training input-bound?) and, after fit on a dataset, its pipeline stats.
  const FitStats& last_fit_stats() const { return fit_stats_; }
  const std::optional<data::PipelineStats>& last_pipeline_stats() const { return pipeline_stats_; }
  // Several inputs and/or outputs (functional models). The compiled loss applies to each output and the total
  // "loss" is their sum; with several outputs each also logs "<output>_loss" and its metrics as
  // "<output>_<metric>" (Keras's naming). class_weight needs a single output; class_weights weighs each named
  // output's loss and weighted metrics by its own labels.
  History fit(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, FitOptions opts = {});
  EvalResult evaluate(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, EvaluateOptions opts = {});
  std::vector<Tensor> predict(const std::vector<Tensor>& xs, PredictOptions opts = {});
  // One gradient step on one batch; returns the loss and metrics for that batch.
  callbacks::Logs train_on_batch(const Tensor& x, const Tensor& y, const Tensor& sample_weight = Tensor());
  callbacks::Logs test_on_batch(const Tensor& x, const Tensor& y, const Tensor& sample_weight = Tensor());
  // Inference on one batch, as one forward pass without recording gradients (Keras's predict_on_batch): no
  // batching, no progress bar; the serving and latency path.
  Tensor predict_on_batch(const Tensor& x);
  std::vector<Tensor> predict_on_batch(const std::vector<Tensor>& xs);

  void summary(std::ostream& os = std::cout);
  std::vector<Tensor> trainable_weights() const;
  std::vector<Tensor> weights() const;  // trainable and not
  int64_t count_params() const;
  // Weight files and in-memory copies (Keras's save_weights / load_weights / get_weights / set_weights);
  // defined in train/weights_io.cpp, which documents the file format.
  void save_weights(const std::string& path) const;
  void load_weights(const std::string& path);
  std::vector<Tensor> get_weights() const;  // detached copies
  void set_weights(const std::vector<Tensor>& values);

  const std::string& name() const { return name_; }
  optim::Optimizer& optimizer() const;
  const losses::Loss& loss() const;
  bool compiled() const { return optimizer_ != nullptr; }
  // The metrics compile() resolved, in order (what a model file's compile_config records).
  const std::vector<metrics::MetricPtr>& compiled_metrics() const { return metrics_; }
  const std::vector<metrics::MetricPtr>& compiled_weighted_metrics() const { return weighted_metrics_; }
  // The whole model (config, weights, compile config and optimizer state) as a Keras 3 .keras file: Keras's
  // model.save. Defined with nabla::save_model in io/model_file.cpp.
  void save(const std::string& path) const;
  bool stop_training = false;  // set by callbacks (EarlyStopping, TerminateOnNaN)
  // The position of the running fit (valid inside its callbacks), and, from on_train_begin, where it should
  // continue instead of initial_epoch (Keras's model._initial_epoch, set by BackupAndRestore).
  FitPosition fit_position() const;
  void resume_fit_at(FitPosition p) { resume_ = std::move(p); }
  // The data-parallel strategy this model trains with (compiled inside its scope()), or nullptr.
  DataParallel* data_parallel() const { return data_parallel_; }

 protected:
  // Subclasses call this when their layer list changes (Sequential::add), so the next step recomputes what
  // it trains.
  void layers_changed() { layers_stale_ = true; }
  std::string name_;

 private:
  // Fills the next batch of an epoch; false at the end of the data.
  using NextBatch = std::function<bool(detail::Batch&)>;
  // The loss and metric state of one fit/evaluate: per output when there are several.
  detail::MetricTrackers make_trackers(size_t outputs) const;
  // Forward (and, when training, backward and update) on one batch; returns the predictions and updates the
  // trackers.
  std::vector<Tensor> run_step(const detail::Batch& b, bool training, detail::MetricTrackers& tr);
  // The epoch loop shared by fit on tensors and on datasets. steps: per epoch, or -1 when unknown.
  // tensors: fit on tensors' adapter (its position is part of fit_position()); nullptr for datasets.
  History run_fit(const std::function<NextBatch(int epoch)>& epoch_batches, int64_t steps, const FitOptions& opts,
                  const std::optional<ValidationData>& val, detail::TensorAdapter* tensors = nullptr);
  EvalResult run_evaluate(const NextBatch& next, int64_t steps, const EvaluateOptions& opts);
  std::vector<Tensor> predict_batches(const std::function<bool(std::vector<Tensor>&)>& next, int64_t steps,
                                      const PredictOptions& opts);
  void check_compiled(const char* what) const;
  // The single output's number of units, where known (-1 otherwise): bounds class_weight's class ids.
  int64_t num_classes_hint() const;

  optim::OptimizerPtr optimizer_;
  losses::LossPtr loss_;
  std::vector<metrics::MetricPtr> metrics_;
  std::vector<metrics::MetricPtr> weighted_metrics_;
  // What a training step updates: the trainable weights of trainable layers, in model order. Recomputed at
  // compile, when the layer list changes, and when a layer's trainable flag or its weights change (checked at
  // each step against the layers by comparison, which allocates nothing).
  void refresh_trainable();
  bool trainable_current() const;
  std::vector<nn::LayerPtr> layer_cache_;  // layers(), refreshed when stale
  bool layers_stale_ = true;
  std::vector<Tensor> trainable_;
  FitStats fit_stats_;
  std::optional<data::PipelineStats> pipeline_stats_;
  // The running fit's epoch and step, its tensor adapter, and a pending resume point.
  int fit_epoch_ = 0;
  int64_t fit_step_ = 0;
  const detail::TensorAdapter* fit_tensors_ = nullptr;
  std::optional<FitPosition> resume_;
  DataParallel* data_parallel_ = nullptr;
};

}  // namespace nabla
