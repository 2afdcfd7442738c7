#include "nabla/train/metrics.h"

#include <cmath>

#include "nabla/train/metrics/auc.h"
#include "nabla/train/metrics/balanced_accuracy.h"
#include "nabla/train/metrics/precision_recall.h"

namespace nabla::metrics {
namespace {

// y_pred as a contiguous float64 [N, C] (C = 1 for rank-1 predictions).
Tensor as_rows(const Tensor& t) {
  Tensor c = t.detach().to(f64).contiguous();
  int64_t n = c.dim() ? c.size(0) : 1;
  int64_t k = n ? c.numel() / n : 0;
  return make_view(c, Shape{n, k}, Shape{k, 1}, c.offset());
}

int64_t row_argmax(const double* row, int64_t c) {
  int64_t best = 0;
  for (int64_t j = 1; j < c; ++j)
    if (row[j] > row[best]) best = j;
  return best;
}

// Per-sample values from the rows of predictions and targets (both seen as [N, C] float64):
// out[i] = f(pred_row_i, true_row_i, C). same_shape: the two must have equal [N, C], not just equal size.
template <class F>
Tensor per_row(const Tensor& y_true, const Tensor& y_pred, const std::string& name, bool same_shape, F f) {
  Tensor p = as_rows(y_pred), y = as_rows(y_true);
  NABLA_CHECK_SHAPE(same_shape ? p.shape() == y.shape() : p.numel() == y.numel(), name, ": targets of shape ",
                    y_true.shape().str(), " do not match predictions of shape ", y_pred.shape().str());
  int64_t n = p.size(0), c = p.size(1);
  Tensor out = make_tensor(Shape{n}, f64);
  const double* pp = p.data<double>();
  const double* yp = y.data<double>();
  double* o = out.data<double>();
  for (int64_t i = 0; i < n; ++i) o[i] = f(pp + i * c, yp + i * c, c);
  return out;
}

}  // namespace

void MeanMetric::update_values(const Tensor& v0, const Tensor& sw) {
  Tensor v = v0.detach().to(f64).contiguous();
  const double* p = v.data<double>();
  if (sw.defined()) {
    Tensor w = sw.detach().to(f64).contiguous();
    NABLA_CHECK_SHAPE(w.numel() == v.numel(), name(), ": sample_weight of shape ", sw.shape().str(), " for ",
                      v.numel(), " values");
    const double* wp = w.data<double>();
    for (int64_t i = 0; i < v.numel(); ++i) add(p[i] * wp[i], wp[i]);
  } else {
    double s = 0;
    for (int64_t i = 0; i < v.numel(); ++i) s += p[i];
    add(s, double(v.numel()));
  }
}

void MeanMetric::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sw) {
  update_values(values(y_true, y_pred), sw);
}

Tensor MeanMetric::values(const Tensor&, const Tensor& y_pred) const { return y_pred; }

Tensor SparseCategoricalAccuracy::values(const Tensor& y_true, const Tensor& y_pred) const {
  Tensor p = as_rows(y_pred);
  Tensor y = y_true.detach().to(f64).contiguous();
  int64_t n = p.size(0), c = p.size(1);
  NABLA_CHECK_SHAPE(y.numel() == n, name(), ": labels of shape ", y_true.shape().str(),
                    " do not match predictions of shape ", y_pred.shape().str());
  Tensor out = make_tensor(Shape{n}, f64);
  const double* pp = p.data<double>();
  const double* yp = y.data<double>();
  double* o = out.data<double>();
  for (int64_t i = 0; i < n; ++i) {
    o[i] = double(row_argmax(pp + i * c, c)) == yp[i] ? 1.0 : 0.0;
  }
  return out;
}

Tensor CategoricalAccuracy::values(const Tensor& y_true, const Tensor& y_pred) const {
  return per_row(y_true, y_pred, name(), /*same_shape=*/true, [](const double* p, const double* y, int64_t c) {
    return row_argmax(p, c) == row_argmax(y, c) ? 1.0 : 0.0;
  });
}

Tensor BinaryAccuracy::values(const Tensor& y_true, const Tensor& y_pred) const {
  return per_row(y_true, y_pred, name(), false, [t = threshold_](const double* p, const double* y, int64_t c) {
    double s = 0;
    for (int64_t j = 0; j < c; ++j) s += ((p[j] > t) == (y[j] > 0.5)) ? 1 : 0;
    return s / double(c);
  });
}

namespace {
// Mean of f(prediction - target) over each row.
template <class F>
Tensor per_row_mean(const Tensor& y_true, const Tensor& y_pred, const std::string& name, F f) {
  return per_row(y_true, y_pred, name, false, [&](const double* p, const double* y, int64_t c) {
    double s = 0;
    for (int64_t j = 0; j < c; ++j) s += f(p[j] - y[j]);
    return s / double(c);
  });
}
}  // namespace

Tensor MeanSquaredError::values(const Tensor& y_true, const Tensor& y_pred) const {
  return per_row_mean(y_true, y_pred, name(), [](double d) { return d * d; });
}

Tensor MeanAbsoluteError::values(const Tensor& y_true, const Tensor& y_pred) const {
  return per_row_mean(y_true, y_pred, name(), [](double d) { return std::abs(d); });
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
  if (n == "mse" || n == "mean_squared_error") return std::make_shared<MeanSquaredError>(n);
  if (n == "mae" || n == "mean_absolute_error") return std::make_shared<MeanAbsoluteError>(n);
  // Imbalance-aware metrics (metrics/*.h); construct them directly for per-class or other averages.
  if (n == "precision") return std::make_shared<Precision>();
  if (n == "recall") return std::make_shared<Recall>();
  if (n == "f1_score") return std::make_shared<F1Score>();
  if (n == "macro_f1") return std::make_shared<F1Score>(ClassMetricOptions{.average = Average::macro}, n);
  if (n == "balanced_accuracy") return std::make_shared<BalancedAccuracy>();
  if (n == "auc") return std::make_shared<AUC>();
  if (n == "pr_auc") return std::make_shared<AUC>(AucOptions{.curve = Curve::PR}, n);
  throw ValueError("unknown metric '" + n +
                   "' (known: accuracy, sparse_categorical_accuracy, categorical_accuracy, binary_accuracy, mse, mae, "
                   "precision, recall, f1_score, macro_f1, balanced_accuracy, auc, pr_auc)");
}

}  // namespace nabla::metrics
