#include "nabla/train/metric_trackers.h"

#include "nabla/train/compile_utils.h"
#include "nabla/nn/masking.h"
#include "nabla/ops/math.h"
#include "nabla/train/data_adapter.h"
#include "nabla/train/sample_weight.h"

namespace nabla::detail {

MetricTrackers::MetricTrackers(size_t outputs, const std::vector<metrics::MetricPtr>& compiled,
                               const std::vector<metrics::MetricPtr>& compiled_weighted, const losses::Loss& loss,
                               const std::vector<std::string>& output_names) {
  losses.resize(outputs, metrics::MeanMetric("loss"));
  metrics.resize(outputs);
  weighted.resize(outputs);
  if (outputs == 1) {
    metrics[0] = compiled;
    weighted[0] = compiled_weighted;
    return;
  }
  names = output_log_names(output_names, outputs);
  for (size_t k = 0; k < outputs; ++k) {
    metrics[k] = metrics_for_output(compiled, names[k], loss, false, outputs);
    weighted[k] = metrics_for_output(compiled_weighted, names[k], loss, true, outputs);
  }
}

void MetricTrackers::reset() {
  total.reset_state();
  for (auto& l : losses) l.reset_state();
  for (auto* group : {&metrics, &weighted})
    for (auto& ms : *group)
      for (auto& m : ms) m->reset_state();
}

namespace {
// Keras's apply_mask(sample_weight, mask, reduction="sum"): the 0/1 mask times the weights (ranks matched by
// squeeze_or_expand_to_same_rank, then broadcast).
Tensor masked_weight(const Tensor& mask, const Tensor& sample_weight) {
  Tensor m = nn::mask_as(mask, f64);
  if (!sample_weight.defined()) return m;
  Tensor w = sample_weight.detach().to(f64);
  squeeze_or_expand_to_same_rank(m, w);
  return m * w;
}
}  // namespace

void MetricTrackers::update(const Batch& b, const std::vector<Tensor>& preds, const std::vector<Tensor>& masks,
                            const std::vector<double>& per_output, double regularization, int64_t n) {
  double sum = regularization;
  for (size_t k = 0; k < per_output.size(); ++k) {
    sum += per_output[k];
    losses[k].add(per_output[k] * double(n), double(n));
    const Tensor mask = k < masks.size() ? masks[k] : Tensor();
    const Tensor w = b.weight(k);
    Tensor mw, mww;  // the mask as the weight of the unweighted / weighted mean metrics
    if (mask.defined()) {
      mw = masked_weight(mask, Tensor());
      mww = masked_weight(mask, w);
    }
    auto honours = [&](const metrics::MetricPtr& m) {
      return mask.defined() && dynamic_cast<const metrics::MeanMetric*>(m.get()) != nullptr;
    };
    for (auto& m : metrics[k]) m->update_state(b.ys[k], preds[k], honours(m) ? mw : Tensor());
    for (auto& m : weighted[k]) m->update_state(b.ys[k], preds[k], honours(m) ? mww : w);
  }
  total.add(sum * double(n), double(n));
}

std::vector<std::pair<std::string, double>> MetricTrackers::values() const {
  std::vector<std::pair<std::string, double>> v{{"loss", total.result()}};
  if (!names.empty())
    for (size_t k = 0; k < losses.size(); ++k) v.emplace_back(names[k] + "_loss", losses[k].result());
  for (auto* group : {&metrics, &weighted})
    for (const auto& ms : *group)
      for (const auto& m : ms) v.emplace_back(m->name(), m->result());
  return v;
}

}  // namespace nabla::detail
