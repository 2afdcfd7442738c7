#include "nabla/train/metrics/ranking.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "nabla/train/metrics/confusion_matrix.h"

namespace nabla::metrics {
namespace {

struct Scored {
  std::vector<double> score, positive, weight;  // positive is 0 or 1
  bool weighted = false;
  bool both_classes = false;  // y_true held both classes (before zero weights were dropped)
};

Scored prepare(const Tensor& y_true, const Tensor& y_score, const RankingOptions& o, const Tensor& sample_weight,
               const char* who) {
  Scored r;
  Tensor s = y_score.detach().to(f64).contiguous();
  const double* sp = s.data<double>();
  int64_t n = 0;
  if (o.class_id < 0) {
    if (s.dim() > 1 && s.shape().back() != 1)
      throw ValueError(detail::concat(who, ": scores of shape ", s.shape().str(), " have several columns; pass ",
                                      "{.class_id = c} to score class c against the rest"));
    n = s.numel();
    Tensor y = y_true.detach().to(f64).contiguous();
    if (y.numel() != n)
      throw ShapeError(detail::concat(who, ": targets of shape ", y_true.shape().str(), " do not match scores of shape ",
                                      y_score.shape().str()));
    const double* yp = y.data<double>();
    for (int64_t i = 0; i < n; ++i) {
      if (yp[i] != 0 && yp[i] != 1)
        throw ValueError(detail::concat(who, ": y_true at index ", i, " is ", yp[i], "; binary labels must be 0 or 1 ",
                                        "(for class ids pass {.class_id = c})"));
      r.positive.push_back(yp[i]);
      r.score.push_back(sp[i]);
    }
  } else {
    NABLA_CHECK_SHAPE(s.dim() == 2 && o.class_id < s.size(1), who, ": class_id ", o.class_id,
                      " needs scores of shape [N, C] with C > class_id, got ", s.shape().str());
    n = s.size(0);
    const int64_t c = s.size(1);
    std::vector<int64_t> t = target_classes(y_true, n);
    for (int64_t i = 0; i < n; ++i) {
      r.positive.push_back(t[size_t(i)] == o.class_id ? 1.0 : 0.0);
      r.score.push_back(sp[i * c + o.class_id]);
    }
  }
  for (int64_t i = 0; i < n; ++i)
    if (std::isnan(r.score[size_t(i)]) || std::isinf(r.score[size_t(i)]))
      throw ValueError(detail::concat(who, ": score at index ", i, " is ", r.score[size_t(i)], " (not finite)"));
  double pos = std::accumulate(r.positive.begin(), r.positive.end(), 0.0);
  r.both_classes = pos > 0 && pos < double(n);
  if (sample_weight.defined()) {
    Tensor w = sample_weight.detach().to(f64).contiguous();
    NABLA_CHECK_SHAPE(w.numel() == n, who, ": sample_weight of shape ", sample_weight.shape().str(), " for ", n,
                      " samples");
    r.weighted = true;
    // sklearn drops zero-weight samples before building the curve.
    Scored kept;
    const double* wp = w.data<double>();
    for (int64_t i = 0; i < n; ++i)
      if (wp[i] != 0) {
        kept.score.push_back(r.score[size_t(i)]);
        kept.positive.push_back(r.positive[size_t(i)]);
        kept.weight.push_back(wp[i]);
      }
    r.score = std::move(kept.score);
    r.positive = std::move(kept.positive);
    r.weight = std::move(kept.weight);
  }
  return r;
}

// sklearn's _binary_clf_curve: weighted false and true positive counts at each distinct score, from the highest.
void binary_clf_curve(const Scored& d, std::vector<double>& fps, std::vector<double>& tps) {
  const size_t n = d.score.size();
  // np.argsort(score, kind="mergesort")[::-1]: stable ascending, reversed (ties in reverse input order).
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return d.score[a] < d.score[b]; });
  std::reverse(order.begin(), order.end());
  double tp = 0, fp = 0;
  for (size_t k = 0; k < n; ++k) {
    const size_t i = order[k];
    const double w = d.weighted ? d.weight[i] : 1.0;
    tp += d.positive[i] * w;
    if (d.weighted) fp += (1 - d.positive[i]) * w;
    // A threshold closes where the next score differs, and at the end.
    if (k + 1 == n || d.score[order[k + 1]] != d.score[i]) {
      tps.push_back(tp);
      fps.push_back(d.weighted ? fp : double(k + 1) - tp);
    }
  }
}

}  // namespace

double roc_auc_score(const Tensor& y_true, const Tensor& y_score, RankingOptions o, const Tensor& sample_weight) {
  Scored d = prepare(y_true, y_score, o, sample_weight, "roc_auc_score");
  if (!d.both_classes)
    throw ValueError("roc_auc_score: only one class present in y_true; ROC AUC is not defined in that case");
  std::vector<double> fps, tps;
  binary_clf_curve(d, fps, tps);
  // roc_curve(drop_intermediate=True): keep the end points and the corners (second differences not both 0).
  if (fps.size() > 2) {
    std::vector<double> f{fps[0]}, t{tps[0]};
    for (size_t i = 1; i + 1 < fps.size(); ++i) {
      double df = (fps[i + 1] - fps[i]) - (fps[i] - fps[i - 1]);
      double dt = (tps[i + 1] - tps[i]) - (tps[i] - tps[i - 1]);
      if (df != 0 || dt != 0) {
        f.push_back(fps[i]);
        t.push_back(tps[i]);
      }
    }
    f.push_back(fps.back());
    t.push_back(tps.back());
    fps = std::move(f);
    tps = std::move(t);
  }
  fps.insert(fps.begin(), 0.0);
  tps.insert(tps.begin(), 0.0);
  const double fn = fps.back(), tn = tps.back();
  if (!(fn > 0) || !(tn > 0))  // all the weight on one class
    throw ValueError("roc_auc_score: the samples with nonzero weight hold only one class; ROC AUC is undefined");
  double area = 0;  // np.trapz(tpr, fpr)
  for (size_t i = 1; i < fps.size(); ++i)
    area += (fps[i] / fn - fps[i - 1] / fn) * (tps[i] / tn + tps[i - 1] / tn) / 2.0;
  return area;
}

double average_precision_score(const Tensor& y_true, const Tensor& y_score, RankingOptions o,
                               const Tensor& sample_weight) {
  Scored d = prepare(y_true, y_score, o, sample_weight, "average_precision_score");
  std::vector<double> fps, tps;
  binary_clf_curve(d, fps, tps);
  if (tps.empty()) return 0.0;
  const double total = tps.back();
  double ap = 0, prev_recall = 0;
  for (size_t i = 0; i < tps.size(); ++i) {
    const double ps = tps[i] + fps[i];
    const double precision = ps != 0 ? tps[i] / ps : 0.0;
    const double recall = total == 0 ? 1.0 : tps[i] / total;  // sklearn sets recall to 1 without positives
    ap += (recall - prev_recall) * precision;
    prev_recall = recall;
  }
  return ap;
}

}  // namespace nabla::metrics
