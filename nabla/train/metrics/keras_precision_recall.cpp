#include "nabla/train/metrics/keras_precision_recall.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "nabla/ops/shape_ops.h"
#include "nabla/train/sample_weight.h"

namespace nabla::metrics {

ThresholdedCounts::ThresholdedCounts(PrecisionRecallOptions o, std::string name) : Metric(std::move(name)), o_(o) {
  NABLA_CHECK(!o_.top_k || *o_.top_k > 0, this->name(), ": top_k must be positive, got ", *o_.top_k);
}

void ThresholdedCounts::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  Tensor t = y_true.detach().to(f64), p = y_pred.detach().to(f64);
  squeeze_or_expand_to_same_rank(t, p);
  if (t.shape() != p.shape() && t.numel() == p.numel()) t = reshape(t, p.shape());
  NABLA_CHECK_SHAPE(t.shape() == p.shape(), name(), ": targets of shape ", y_true.shape().str(),
                    " do not match predictions of shape ", y_pred.shape().str(),
                    " (Keras's precision/recall compare them elementwise; for class ids use ClassPrecision)");
  Tensor w;
  if (sample_weight.defined()) w = broadcast_sample_weight(p, sample_weight, name()).weights.contiguous();
  t = t.contiguous();
  p = p.contiguous();
  const int64_t c = p.dim() >= 2 ? p.shape().back() : 1, m = c ? p.numel() / c : 0;
  if (o_.class_id)
    NABLA_CHECK(*o_.class_id >= 0 && *o_.class_id < c, name(), ": class_id ", *o_.class_id, " for predictions with ",
                c, " entries per row");
  const double threshold = o_.thresholds ? *o_.thresholds : o_.top_k ? -std::numeric_limits<double>::infinity() : 0.5;
  const double* tp = t.data<double>();
  const double* pp = p.data<double>();
  const double* wp = w.defined() ? w.data<double>() : nullptr;
  std::vector<int64_t> order(static_cast<size_t>(c));
  std::vector<char> candidate(static_cast<size_t>(c), 1);
  for (int64_t i = 0; i < m; ++i) {
    const double* row = pp + i * c;
    if (o_.top_k) {  // Keras's _filter_top_k: the k highest (first ones among ties) stay, the rest are -inf
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return row[a] > row[b]; });
      std::fill(candidate.begin(), candidate.end(), 0);
      for (int64_t j = 0; j < std::min(*o_.top_k, c); ++j) candidate[size_t(order[size_t(j)])] = 1;
    }
    for (int64_t j = 0; j < c; ++j) {
      if (o_.class_id && j != *o_.class_id) continue;
      const bool pos = candidate[size_t(j)] && row[j] > threshold;
      const bool truth = tp[i * c + j] != 0;
      const double wt = wp ? wp[i * c + j] : 1.0;
      if (pos && truth) tp_ += wt;
      else if (pos) fp_ += wt;
      else if (truth) fn_ += wt;
    }
  }
}

double Precision::result() const {
  double d = true_positives() + false_positives();
  return d != 0 ? true_positives() / d : 0.0;
}

double Recall::result() const {
  double d = true_positives() + false_negatives();
  return d != 0 ? true_positives() / d : 0.0;
}

}  // namespace nabla::metrics
