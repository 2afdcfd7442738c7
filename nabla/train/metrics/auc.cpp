#include "nabla/train/metrics/auc.h"

#include <algorithm>
#include <cmath>

#include "nabla/ops/activations.h"
#include "nabla/train/metrics/confusion_matrix.h"

namespace nabla::metrics {

AUC::AUC(AucOptions o, std::string name) : Metric(std::move(name)), o_(o) {
  NABLA_CHECK(o_.num_thresholds > 1, "AUC: num_thresholds must be > 1, got ", o_.num_thresholds);
  // Keras: [0 - eps] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1 + eps], compared in float32.
  const double eps = 1e-7;
  thresholds_.push_back(float(0.0 - eps));
  for (int i = 0; i < o_.num_thresholds - 2; ++i) thresholds_.push_back(float((i + 1) * 1.0 / (o_.num_thresholds - 1)));
  thresholds_.push_back(float(1.0 + eps));
  reset_state();
}

void AUC::reset_state() {
  pos_.assign(thresholds_.size() + 1, 0.0);
  neg_.assign(thresholds_.size() + 1, 0.0);
}

void AUC::update_state(const Tensor& y_true, const Tensor& y_pred, const Tensor& sample_weight) {
  Tensor p = (o_.from_logits ? sigmoid(y_pred.detach().to(f64)) : y_pred.detach()).to(f32).contiguous();
  const int64_t c = p.dim() >= 2 ? p.shape().back() : 1;
  const int64_t n = p.numel() / std::max<int64_t>(c, 1);
  const float* pp = p.data<float>();
  Tensor w = sample_weight.defined() ? sample_weight.detach().to(f64).contiguous() : Tensor();
  if (w.defined())
    NABLA_CHECK_SHAPE(w.numel() > 0 && n % w.numel() == 0, name(), ": sample_weight of shape ",
                      sample_weight.shape().str(), " for ", n, " samples");
  const int64_t per = w.defined() ? n / w.numel() : 1;
  auto weight = [&](int64_t i) { return w.defined() ? w.data<double>()[i / per] : 1.0; };
  auto add = [&](float score, bool positive, double wt) {
    // Bucket: how many thresholds the score exceeds (score > t counts as predicted positive at t).
    size_t k = size_t(std::lower_bound(thresholds_.begin(), thresholds_.end(), score) - thresholds_.begin());
    (positive ? pos_ : neg_)[k] += wt;
  };
  if (c == 1) {
    Tensor y = y_true.detach().to(f64).contiguous();
    NABLA_CHECK_SHAPE(y.numel() == n, name(), ": targets of shape ", y_true.shape().str(), " for predictions of shape ",
                      y_pred.shape().str());
    const double* yp = y.data<double>();
    for (int64_t i = 0; i < n; ++i) add(pp[i], yp[i] > 0.5, weight(i));
    return;
  }
  std::vector<int64_t> t = target_classes(y_true, n);
  if (o_.class_id >= 0) {
    NABLA_CHECK(o_.class_id < c, name(), ": class_id ", o_.class_id, " for predictions with ", c, " classes");
    for (int64_t i = 0; i < n; ++i) add(pp[i * c + o_.class_id], t[size_t(i)] == o_.class_id, weight(i));
    return;
  }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < c; ++j) add(pp[i * c + j], t[size_t(i)] == j, weight(i));
}

double AUC::result() const {
  const size_t m = thresholds_.size();
  // Counts at threshold i: predicted positive are the buckets above i (score > thresholds_[i]).
  std::vector<double> tp(m), fp(m), fn(m), tn(m);
  double above_p = 0, above_n = 0, total_p = 0, total_n = 0;
  for (size_t k = 0; k <= m; ++k) {
    total_p += pos_[k];
    total_n += neg_[k];
  }
  for (size_t i = m; i-- > 0;) {
    above_p += pos_[i + 1];
    above_n += neg_[i + 1];
    tp[i] = above_p;
    fp[i] = above_n;
    fn[i] = total_p - above_p;
    tn[i] = total_n - above_n;
  }
  auto div = [](double a, double b) { return b != 0 ? a / b : 0.0; };  // tf.math.divide_no_nan
  double auc = 0;
  if (o_.curve == Curve::PR && o_.summation == Summation::interpolation) {
    // Keras's interpolate_pr_auc (Davis & Goadrich 2006): precision interpolated linearly in TP between
    // thresholds, integrated in closed form over recall.
    for (size_t i = 0; i + 1 < m; ++i) {
      double dtp = tp[i] - tp[i + 1];
      double p0 = tp[i] + fp[i], p1 = tp[i + 1] + fp[i + 1];
      double dp = p0 - p1;
      double slope = div(dtp, std::max(dp, 0.0));
      double intercept = tp[i + 1] - slope * p1;
      double safe_ratio = (p0 > 0 && p1 > 0) ? div(p0, std::max(p1, 0.0)) : 1.0;
      auc += div(slope * (dtp + intercept * std::log(safe_ratio)), std::max(tp[i + 1] + fn[i + 1], 0.0));
    }
    return auc;
  }
  std::vector<double> x(m), y(m);
  for (size_t i = 0; i < m; ++i) {
    double recall = div(tp[i], tp[i] + fn[i]);
    if (o_.curve == Curve::ROC) {
      x[i] = div(fp[i], fp[i] + tn[i]);
      y[i] = recall;
    } else {
      x[i] = recall;
      y[i] = div(tp[i], tp[i] + fp[i]);
    }
  }
  for (size_t i = 0; i + 1 < m; ++i) {
    double h = o_.summation == Summation::interpolation ? (y[i] + y[i + 1]) / 2
               : o_.summation == Summation::minoring   ? std::min(y[i], y[i + 1])
                                                       : std::max(y[i], y[i + 1]);
    auc += (x[i] - x[i + 1]) * h;
  }
  return auc;
}

double keras_auc_score(const Tensor& y_true, const Tensor& y_score, AucOptions o, const Tensor& sample_weight) {
  AUC m(o);
  m.update_state(y_true, y_score, sample_weight);
  return m.result();
}

}  // namespace nabla::metrics
