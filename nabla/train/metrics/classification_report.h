#pragma once
// sklearn.metrics.classification_report: per-class precision, recall, F1 and support, then accuracy and the
// macro and weighted averages, in sklearn's text layout (so reports can be diffed against Python's).
#include <string>
#include <vector>

#include "nabla/core/tensor.h"

namespace nabla::metrics {

// y_pred: class ids, or scores (argmax of [N, C]; threshold of [N] / [N, 1] floating scores). Rows cover the
// classes present in y_true or y_pred; target_names (if given) name those rows in order.
std::string classification_report(const Tensor& y_true, const Tensor& y_pred,
                                  const std::vector<std::string>& target_names = {}, int digits = 2,
                                  const Tensor& sample_weight = Tensor(), double threshold = 0.5);

}  // namespace nabla::metrics
