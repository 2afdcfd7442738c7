#pragma once
// What compile() resolves (Keras's trainers/compile_utils): metrics given by name against the loss ("accuracy"
// becomes the accuracy that matches the loss's targets), weighted metrics named "weighted_<name>", and with
// several outputs a fresh copy of each metric per output named "<output>_<metric>". Internal to train/.
#include <string>
#include <vector>

#include "nabla/train/losses.h"
#include "nabla/train/metrics.h"

namespace nabla::detail {

// A metric given to compile: an object as it is, or a Keras name resolved against the loss. weighted: named
// "weighted_<name>".
metrics::MetricPtr resolve_metric(const std::string& name, const metrics::MetricPtr& given, const losses::Loss& loss,
                                  bool weighted);
// Output names for per-output logs: the model's where it names every output, else "output_1", "output_2", ...
std::vector<std::string> output_log_names(const std::vector<std::string>& model_names, size_t outputs);
// Fresh copies of compiled metrics for one output of several, made again by name and named
// "<output>_<metric>" (weighted ones keep their "weighted_" prefix after the output name).
std::vector<metrics::MetricPtr> metrics_for_output(const std::vector<metrics::MetricPtr>& compiled,
                                                   const std::string& output, const losses::Loss& loss,
                                                   bool weighted, size_t outputs);

}  // namespace nabla::detail
