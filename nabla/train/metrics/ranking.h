#pragma once
// Exact, after-the-fact ranking scores, computed as scikit-learn computes them (sklearn/metrics/_ranking.py):
// every distinct score is a threshold, tied scores move the curve diagonally (ROC) or as one step (PR), and
// samples with zero weight are dropped. Use these to report a trained model's ROC AUC or average precision.
//
// The streaming `AUC` metric (metrics/auc.h) is a different thing on purpose: it is tf.keras.metrics.AUC, which
// counts scores into 200 fixed thresholds so that it runs over batches in constant memory; with scores packed
// into a narrow range (a confident, skewed classifier) it can differ from the exact value in the second digit.
#include <cstdint>

#include "nabla/core/tensor.h"

namespace nabla::metrics {

struct RankingOptions {
  // -1: y_true holds binary labels (0/1) and y_score one score per sample ([N] or [N, 1]).
  // c >= 0: one-vs-rest for class c: y_true holds class ids (or one-hot rows), y_score is [N, C] and its
  // column c is the score (sklearn: roc_auc_score(y == c, p[:, c])).
  int64_t class_id = -1;
};

// sklearn.metrics.roc_auc_score for a binary problem: the area under the ROC curve by the trapezoidal rule over
// every distinct score. Throws ValueError if y_true holds only one class (the area is undefined).
double roc_auc_score(const Tensor& y_true, const Tensor& y_score, RankingOptions o = {},
                     const Tensor& sample_weight = Tensor());

// sklearn.metrics.average_precision_score: sum over thresholds of (R_n - R_{n-1}) P_n, the precision at each
// distinct score weighted by the recall it adds (no interpolation). 0 when y_true has no positives (sklearn
// warns and returns 0 too).
double average_precision_score(const Tensor& y_true, const Tensor& y_score, RankingOptions o = {},
                               const Tensor& sample_weight = Tensor());

}  // namespace nabla::metrics
