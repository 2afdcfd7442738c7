#include "nabla/train/metrics/confusion_matrix.h"

#include <algorithm>
#include <cmath>

namespace nabla::metrics {

void ConfusionCounts::resize(int64_t n) {
  if (n <= classes_) return;
  std::vector<double> cells(size_t(n * n), 0.0);
  for (int64_t t = 0; t < classes_; ++t)
    for (int64_t p = 0; p < classes_; ++p) cells[size_t(t * n + p)] = at(t, p);
  cells_ = std::move(cells);
  classes_ = n;
}

void ConfusionCounts::add(int64_t t, int64_t p, double w) {
  NABLA_CHECK(t >= 0 && p >= 0, "confusion matrix: class ids must be non-negative, got true ", t, ", predicted ", p);
  resize(std::max(t, p) + 1);
  cells_[size_t(t * classes_ + p)] += w;
}

void ConfusionCounts::add(const std::vector<int64_t>& t, const std::vector<int64_t>& p, const Tensor& weights) {
  NABLA_CHECK_SHAPE(t.size() == p.size(), "confusion matrix: ", t.size(), " true ids for ", p.size(), " predictions");
  if (!weights.defined()) {
    for (size_t i = 0; i < t.size(); ++i) add(t[i], p[i]);
    return;
  }
  Tensor w = weights.detach().to(f64).contiguous();
  const int64_t m = int64_t(t.size()), k = w.numel();
  NABLA_CHECK_SHAPE(k > 0 && m % k == 0, "sample_weight of shape ", weights.shape().str(), " does not match ", m,
                    " labels");
  const double* wp = w.data<double>();
  const int64_t per = m / k;
  for (int64_t i = 0; i < m; ++i) add(t[size_t(i)], p[size_t(i)], wp[i / per]);
}

double ConfusionCounts::support(int64_t c) const {
  double s = 0;
  for (int64_t p = 0; c < classes_ && p < classes_; ++p) s += at(c, p);
  return s;
}

double ConfusionCounts::predicted(int64_t c) const {
  double s = 0;
  for (int64_t t = 0; c < classes_ && t < classes_; ++t) s += at(t, c);
  return s;
}

double ConfusionCounts::total() const {
  double s = 0;
  for (double v : cells_) s += v;
  return s;
}

double ConfusionCounts::correct() const {
  double s = 0;
  for (int64_t c = 0; c < classes_; ++c) s += at(c, c);
  return s;
}

std::vector<int64_t> ConfusionCounts::present_classes() const {
  std::vector<int64_t> r;
  for (int64_t c = 0; c < classes_; ++c)
    if (support(c) != 0 || predicted(c) != 0) r.push_back(c);
  return r;
}

Tensor ConfusionCounts::to_tensor() const { return Tensor::from_vector(cells_, Shape{classes_, classes_}); }

std::vector<int64_t> predicted_classes(const Tensor& y_pred, double threshold) {
  Tensor p = y_pred.detach().to(f64).contiguous();
  const double* v = p.data<double>();
  std::vector<int64_t> out;
  if (!is_floating(y_pred.dtype())) {
    for (int64_t i = 0; i < p.numel(); ++i) out.push_back(int64_t(v[i]));
    return out;
  }
  const int64_t c = p.dim() >= 2 ? p.shape().back() : 1;
  if (c == 1) {
    for (int64_t i = 0; i < p.numel(); ++i) out.push_back(v[i] > threshold ? 1 : 0);
    return out;
  }
  for (int64_t i = 0; i < p.numel() / c; ++i) {
    int64_t best = 0;
    for (int64_t j = 1; j < c; ++j)
      if (v[i * c + j] > v[i * c + best]) best = j;
    out.push_back(best);
  }
  return out;
}

std::vector<int64_t> target_classes(const Tensor& y_true, int64_t n) {
  Tensor y = y_true.detach().to(f64).contiguous();
  const double* v = y.data<double>();
  std::vector<int64_t> out;
  if (y.numel() == n) {
    for (int64_t i = 0; i < n; ++i) {
      NABLA_CHECK(v[i] >= 0 && v[i] == std::floor(v[i]), "targets must be class ids or one-hot rows; target ", i,
                  " is ", v[i]);
      out.push_back(int64_t(v[i]));
    }
    return out;
  }
  NABLA_CHECK_SHAPE(n > 0 && y.numel() % n == 0 && y.dim() >= 2, "targets of shape ", y_true.shape().str(),
                    " do not match ", n, " predictions");
  const int64_t c = y.numel() / n;
  for (int64_t i = 0; i < n; ++i) {
    int64_t best = 0;
    for (int64_t j = 1; j < c; ++j)
      if (v[i * c + j] > v[i * c + best]) best = j;
    out.push_back(best);
  }
  return out;
}

ConfusionCounts confusion_counts(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight,
                                 double threshold) {
  std::vector<int64_t> p = predicted_classes(y_pred, threshold);
  std::vector<int64_t> t = target_classes(y_true, int64_t(p.size()));
  ConfusionCounts cc;
  cc.add(t, p, sample_weight);
  return cc;
}

Tensor confusion_matrix(const Tensor& y_true, const Tensor& y_pred, int64_t num_classes, const Tensor& sample_weight) {
  ConfusionCounts cc = confusion_counts(y_true, y_pred, sample_weight);
  if (num_classes >= 0) {
    NABLA_CHECK(cc.classes() <= num_classes, "confusion_matrix: class id ", cc.classes() - 1, " is outside ",
                num_classes, " classes");
    ConfusionCounts sized(num_classes);
    for (int64_t t = 0; t < cc.classes(); ++t)
      for (int64_t p = 0; p < cc.classes(); ++p) sized.add(t, p, cc.at(t, p));
    return sized.to_tensor();
  }
  return cc.to_tensor();
}

}  // namespace nabla::metrics
