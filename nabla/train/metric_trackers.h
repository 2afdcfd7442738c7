#pragma once
// The loss and metric state of one fit/evaluate (Keras's loss tracker and compiled metrics): the mean loss,
// with several outputs also each output's "<output>_loss", and the metrics per output. Internal to train/.
#include <string>
#include <utility>
#include <vector>

#include "nabla/train/losses.h"
#include "nabla/train/metrics.h"

namespace nabla::detail {

struct Batch;

struct MetricTrackers {
  // With one output the compiled metrics are used as they are; with several, each output gets fresh copies
  // named "<output>_<metric>" and its loss is logged as "<output>_loss" (output_names: the model's, if known).
  MetricTrackers(size_t outputs, const std::vector<metrics::MetricPtr>& compiled,
                 const std::vector<metrics::MetricPtr>& compiled_weighted, const losses::Loss& loss,
                 const std::vector<std::string>& output_names);
  void reset();
  // Adds one batch: its per-output losses (means over the batch), the layers' regularization penalty (part of
  // "loss", as in Keras, but of no "<output>_loss"), detached predictions and their masks (undefined: none).
  // As Keras's MeanMetricWrapper, the mean metrics (accuracies, MSE, ...) weigh masked values 0 (the mask is
  // multiplied into the sample weights, or is the weight of the unweighted metrics); the others (AUC,
  // precision, ...) ignore masks, as Keras's do.
  void update(const Batch& b, const std::vector<Tensor>& preds, const std::vector<Tensor>& masks,
              const std::vector<double>& per_output, double regularization, int64_t n);
  // "loss", then per-output losses, then metrics, then weighted metrics: Keras's order.
  std::vector<std::pair<std::string, double>> values() const;

  std::vector<std::string> names;  // output names; empty with a single output
  metrics::MeanMetric total{"loss"};
  std::vector<metrics::MeanMetric> losses;
  std::vector<std::vector<metrics::MetricPtr>> metrics;   // [output][metric]: ignore sample weights (Keras)
  std::vector<std::vector<metrics::MetricPtr>> weighted;  // [output][metric]: use them ("weighted_<name>")
};

}  // namespace nabla::detail
