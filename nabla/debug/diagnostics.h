#pragma once
// Diagnostics: a callback that watches training the way an experienced practitioner would — the loss, per-layer
// gradient and weight norms, update/weight ratios and activation statistics — and prints specific advice, with
// the numbers behind it, when it recognises a classic failure:
//   loss_nan, loss_diverging       learning rate too high (suggests a rate)
//   loss_flat                      learning rate too low, or labels mismatched with the loss
//   exploding_gradients,           which layer; clipping (OptimizerOptions clipnorm / global_clipnorm),
//   vanishing_gradients            normalisation, initialisation
//   dead_relu                      which layer, what fraction of its units never fire
//   saturated_activations          sigmoid/tanh units stuck at their limits (unscaled or huge inputs)
//   overfitting                    training accuracy high, validation low
//   majority_class                 accuracy stuck at the majority class's share (imbalance)
// Each diagnosis is reported once (per kind and layer). Activation statistics need the batch, which the
// callback reads through train/'s FitObserver hook while fit runs; they are computed for Sequential models.
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "nabla/core/tensor.h"
#include "nabla/train/callback.h"
#include "nabla/train/fit_observer.h"

namespace nabla::debug {

struct Diagnosis {
  std::string kind;      // see above
  std::string layer;     // layer path, or empty when not about one layer
  std::string evidence;  // the numbers
  std::string advice;
  std::string str() const;
};

// Per-layer statistics at an inspected step.
struct LayerStats {
  std::string layer;          // "sequential/dense"
  double grad_norm = 0;       // L2 norm over the layer's trainable weights' gradients
  double weight_norm = 0;
  double update_ratio = 0;    // ||w_after - w_before|| / ||w_before|| for the step
  double dead_fraction = -1;  // share of units that output 0 for every sample of the batch (relu-like outputs)
  double saturated_fraction = -1;  // share of sigmoid/tanh outputs within 1% of their limits
  double act_mean = 0, act_std = 0;
};

struct DiagnosticsOptions {
  std::ostream* out = &std::cout;  // nullptr: collect only
  int64_t every = 20;               // inspect layers every N steps (step 0 included)
  int64_t flat_after = 100;         // steps before "flat loss" is judged
  double flat_tolerance = 0.01;     // relative improvement below this counts as flat
  double diverge_factor = 3.0;      // loss above this multiple of its best counts as diverging
  double explode_norm = 100.0;      // a layer's gradient norm above this explodes
  double vanish_ratio = 1e-4;       // a layer's gradient norm below this fraction of the largest layer's vanishes
  double dead_fraction = 0.5;       // report ReLU layers with more dead units than this
  double saturated_fraction = 0.5;
  double overfit_gap = 0.1;         // accuracy - val_accuracy above this (with accuracy > 0.9)
};

class Diagnostics : public callbacks::Callback, public FitObserver {
 public:
  explicit Diagnostics(DiagnosticsOptions opts = {}) : opts_(opts) {}
  ~Diagnostics() override;

  void on_train_begin(callbacks::Logs&) override;
  void on_train_end(callbacks::Logs&) override;
  void on_train_batch_begin(int64_t batch, callbacks::Logs&) override;
  void on_train_batch_end(int64_t batch, callbacks::Logs& logs) override;
  void on_epoch_end(int epoch, callbacks::Logs& logs) override;
  void on_train_step_begin(Model& model, const Tensor& x, const Tensor& y, const Tensor& sw, int epoch,
                           int64_t step) override;

  const std::vector<Diagnosis>& diagnoses() const { return diagnoses_; }
  bool has(const std::string& kind) const;
  const Diagnosis* find(const std::string& kind) const;
  const std::vector<LayerStats>& last_layer_stats() const { return stats_; }
  const std::vector<double>& losses() const { return losses_; }
  // All diagnoses, or a line saying none were found.
  std::string report() const;

 private:
  void report_once(Diagnosis d);
  void inspect_before();
  void inspect_after();
  void check_loss();

  DiagnosticsOptions opts_;
  std::vector<Diagnosis> diagnoses_;
  std::vector<LayerStats> stats_;
  std::vector<double> losses_;
  std::map<std::string, std::vector<Tensor>> before_;  // weights before an inspected step
  Tensor batch_x_;
  std::map<int64_t, int64_t> class_counts_;  // sparse labels seen in the first epoch
  int64_t global_step_ = 0;
  int epoch_ = 0;
  bool observing_ = false;
};

}  // namespace nabla::debug
