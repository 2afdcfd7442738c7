#include "nabla/train/metrics.h"

#include <cmath>

#include "nabla/ops/math.h"
#include "nabla/ops/reduce.h"
#include "nabla/ops/shape_ops.h"
#include "nabla/train/metrics/auc.h"
#include "nabla/train/metrics/keras_precision_recall.h"
#include "nabla/train/metrics/balanced_accuracy.h"
#include "nabla/train/metrics/precision_recall.h"
#include "nabla/train/sample_weight.h"

namespace nabla::metrics {
namespace {

int64_t row_argmax(const double* row, int64_t c) {
  int64_t best = 0;
  for (int64_t j = 1; j < c; ++j)
    if (row[j] > row[best]) best = j;
  return best;
}

}  // namespace

namespace {

std::vector<int> axes_from(int first, int last) {
  std::vector<int> a;
  for (int i = first; i < last; ++i) a.push_back(i);
  return a;
}

// Predictions as float64 rows [M, C] over the last axis (C = 1 for rank <= 1), and the leading shape.
struct Rows {
  Tensor t;  // [M, C] contiguous
  Shape lead;
  int64_t m, c;
};
Rows last_axis_rows(const Tensor& y_pred) {
  Tensor p = y_pred.detach().to(f64).contiguous();
  Rows r;
  r.c = p.dim() >= 2 ? p.shape().back() : 1;
  r.lead = p.dim() >= 2 ? Shape(p.shape().begin(), p.shape().end() - 1) : Shape{p.numel()};
  r.m = r.c ? p.numel() / r.c : 0;
  r.t = make_view(p, Shape{r.m, r.c}, Shape{r.c, 1}, p.offset());
  return r;
}

// Class ids per row: one per prediction row (sparse labels of shape lead or lead + [1]), or argmax of one-hot rows.
std::vector<double> row_labels(const Tensor& y_true, const Rows& p, bool sparse, const std::string& name) {
  Tensor y = y_true.detach().to(f64).contiguous();
  std::vector<double> out(size_t(p.m));
  const double* yp = y.data<double>();
  if (sparse) {
    NABLA_CHECK_SHAPE(y.numel() == p.m, name, ": labels of shape ", y_true.shape().str(),
                      " do not match predictions of shape ", p.lead.str(), " + [", p.c, "]");
    for (int64_t i = 0; i < p.m; ++i) out[size_t(i)] = yp[i];
  } else {
    NABLA_CHECK_SHAPE(y.numel() == p.m * p.c, name, ": targets of shape ", y_true.shape().str(),
                      " do not match predictions with ", p.m, " rows of ", p.c, " classes");
    for (int64_t i = 0; i < p.m; ++i) out[size_t(i)] = double(row_argmax(yp + i * p.c, p.c));
  }
  return out;
}

Tensor from_values(const std::vector<double>& v, const Shape& shape) {
  return Tensor::from_vector(v, shape);
}

}  // namespace

void MeanMetric::update_values(const Tensor& v0, const Tensor& sw) {
  Tensor v = v0.detach().to(f64);
  if (!sw.defined()) {
    // Each sample's value is the mean of its elements; the batch counts its samples (a scalar counts once).
    if (v.dim() == 0) return add(v.item(), 1.0);
    const int64_t n = v.size(0);
    if (n == 0) return;
    add(sum(v).item() * double(n) / double(v.numel()), double(n));
    return;
  }
  // Keras's reduce_to_samplewise_values with reduce_fn = mean.
  Tensor w = sw.detach().to(f64);
  squeeze_or_expand_to_same_rank(v, w);
  const int wr = w.dim(), vr = v.dim();
  if (vr > wr) v = mean(v, axes_from(wr, vr));
  const Shape& vs = v.shape();
  bool ok = wr <= v.dim();
  for (int i = 0; ok && i < wr; ++i) ok = w.shape()[wr - 1 - i] == vs[vs.size() - 1 - i] || w.shape()[wr - 1 - i] == 1;
  NABLA_CHECK_SHAPE(ok, name(), ": sample_weight of shape ", sw.shape().str(), " cannot be broadcast to values of shape ",
                    v0.shape().str());
  Tensor wb = w * Tensor::ones(vs, f64);
  v = v * wb;
  if (wr > 1) wb = mean(wb, axes_from(1, wr));
  if (v.dim() > 1) v = mean(v, axes_from(1, v.dim()));
  add(sum(v).item(), sum(wb).item());
}

void MeanMetric::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sw) {
  update_values(values(y_true, y_pred), sw);
}

Tensor MeanMetric::values(const Tensor&, const Tensor& y_pred) const { return y_pred; }

Tensor Accuracy::values(const Tensor& y_true, const Tensor& y_pred) const {
  Tensor t = y_true.detach().to(f64), p = y_pred.detach().to(f64);
  squeeze_or_expand_to_same_rank(t, p);
  NABLA_CHECK_SHAPE(t.shape() == p.shape(), name(), ": targets of shape ", y_true.shape().str(),
                    " do not match predictions of shape ", y_pred.shape().str());
  return equal(t, p).to(f64);
}

Tensor SparseCategoricalAccuracy::values(const Tensor& y_true, const Tensor& y_pred) const {
  Rows p = last_axis_rows(y_pred);
  std::vector<double> y = row_labels(y_true, p, true, name()), out(size_t(p.m));
  const double* pp = p.t.data<double>();
  for (int64_t i = 0; i < p.m; ++i) out[size_t(i)] = double(row_argmax(pp + i * p.c, p.c)) == y[size_t(i)] ? 1.0 : 0.0;
  return from_values(out, p.lead);
}

Tensor CategoricalAccuracy::values(const Tensor& y_true, const Tensor& y_pred) const {
  Rows p = last_axis_rows(y_pred);
  NABLA_CHECK_SHAPE(y_true.numel() == y_pred.numel(), name(), ": targets of shape ", y_true.shape().str(),
                    " do not match predictions of shape ", y_pred.shape().str());
  std::vector<double> y = row_labels(y_true, p, false, name()), out(size_t(p.m));
  const double* pp = p.t.data<double>();
  for (int64_t i = 0; i < p.m; ++i) out[size_t(i)] = double(row_argmax(pp + i * p.c, p.c)) == y[size_t(i)] ? 1.0 : 0.0;
  return from_values(out, p.lead);
}

Tensor TopKCategoricalAccuracy::values(const Tensor& y_true, const Tensor& y_pred) const {
  Rows p = last_axis_rows(y_pred);
  std::vector<double> y = row_labels(y_true, p, sparse(), name()), out(size_t(p.m));
  const double* pp = p.t.data<double>();
  for (int64_t i = 0; i < p.m; ++i) {
    const int64_t label = int64_t(y[size_t(i)]);
    NABLA_CHECK(label >= 0 && label < p.c, name(), ": label ", y[size_t(i)], " at row ", i, " outside [0, ", p.c, ")");
    // In the top k when fewer than k scores are strictly higher (Keras's in_top_k: target >= k-th largest).
    const double s = pp[i * p.c + label];
    int64_t higher = 0;
    for (int64_t j = 0; j < p.c; ++j) higher += pp[i * p.c + j] > s;
    out[size_t(i)] = higher < k_ ? 1.0 : 0.0;
  }
  return from_values(out, p.lead);
}

Tensor BinaryAccuracy::values(const Tensor& y_true, const Tensor& y_pred) const {
  Tensor t = y_true.detach().to(f64), p = y_pred.detach().to(f64);
  squeeze_or_expand_to_same_rank(t, p);
  if (t.shape() != p.shape() && t.numel() == p.numel()) t = reshape(t, p.shape());
  NABLA_CHECK_SHAPE(t.shape() == p.shape(), name(), ": targets of shape ", y_true.shape().str(),
                    " do not match predictions of shape ", y_pred.shape().str());
  // Keras: cast(y_pred > threshold) == y_true, elementwise.
  return equal(t, greater(p, scalar_like(p, threshold_)).to(f64)).to(f64);
}

namespace {
// f(prediction - target) averaged over the last axis (Keras's mean_squared_error / mean_absolute_error).
template <class F>
Tensor mean_last_of(const Tensor& y_true, const Tensor& y_pred, const std::string& name, F f) {
  Tensor t = y_true.detach().to(f64), p = y_pred.detach().to(f64);
  squeeze_or_expand_to_same_rank(t, p);
  if (t.shape() != p.shape() && t.numel() == p.numel()) t = reshape(t, p.shape());
  NABLA_CHECK_SHAPE(t.shape() == p.shape(), name, ": targets of shape ", y_true.shape().str(),
                    " do not match predictions of shape ", y_pred.shape().str());
  Tensor d = f(p - t);
  return d.dim() <= 1 ? d : mean(d, {-1});
}
}  // namespace

Tensor MeanSquaredError::values(const Tensor& y_true, const Tensor& y_pred) const {
  return mean_last_of(y_true, y_pred, name(), [](const Tensor& d) { return square(d); });
}

Tensor MeanAbsoluteError::values(const Tensor& y_true, const Tensor& y_pred) const {
  return mean_last_of(y_true, y_pred, name(), [](const Tensor& d) { return abs(d); });
}

MetricPtr get(const std::string& n, const std::string& accuracy_metric) {
  if (n == "accuracy" || n == "acc") {
    MetricPtr m = get(accuracy_metric);
    m->set_name(n);
    return m;
  }
  if (n == "sparse_categorical_accuracy") return std::make_shared<SparseCategoricalAccuracy>();
  if (n == "categorical_accuracy") return std::make_shared<CategoricalAccuracy>();
  if (n == "binary_accuracy") return std::make_shared<BinaryAccuracy>();
  if (n == "top_k_categorical_accuracy") return std::make_shared<TopKCategoricalAccuracy>();
  if (n == "sparse_top_k_categorical_accuracy") return std::make_shared<SparseTopKCategoricalAccuracy>();
  if (n == "mse" || n == "mean_squared_error") return std::make_shared<MeanSquaredError>(n);
  if (n == "mae" || n == "mean_absolute_error") return std::make_shared<MeanAbsoluteError>(n);
  // Imbalance-aware metrics (metrics/*.h); construct them directly for per-class or other averages.
  // Keras's Precision/Recall: elementwise (multi-label) at threshold 0.5. The sklearn-style single-label ones
  // (argmax, averages) are ClassPrecision/ClassRecall.
  if (n == "precision") return std::make_shared<Precision>();
  if (n == "recall") return std::make_shared<Recall>();
  if (n == "f1_score") return std::make_shared<F1Score>();
  if (n == "macro_f1") return std::make_shared<F1Score>(ClassMetricOptions{.average = Average::macro}, n);
  if (n == "balanced_accuracy") return std::make_shared<BalancedAccuracy>();
  if (n == "auc") return std::make_shared<AUC>();
  if (n == "pr_auc") return std::make_shared<AUC>(AucOptions{.curve = Curve::PR}, n);
  throw ValueError("unknown metric '" + n +
                   "' (known: accuracy, sparse_categorical_accuracy, categorical_accuracy, binary_accuracy, "
                   "top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, mse, mae, "
                   "precision, recall, f1_score, macro_f1, balanced_accuracy, auc, pr_auc)");
}

}  // namespace nabla::metrics
