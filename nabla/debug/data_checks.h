#pragma once
// Data checks: the mistakes that make training fail or stall before any op goes wrong — NaN/Inf in features,
// labels out of range or of the wrong type, unscaled features (pixels left at 0-255), constant features, and
// class imbalance. check_dataset() runs them all on tensors or on a pipeline; fit runs the cheap ones on tensor
// inputs before the first epoch and prints their warnings (installed through train/'s FitObserver hook by
// including this header, as nabla/nabla.h does).
#include <cstdint>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "nabla/core/tensor.h"
#include "nabla/data/dataset.h"

namespace nabla::debug {

enum class Severity { info, warning, error };

struct DataIssue {
  Severity severity;
  std::string kind;     // "non_finite_features", "non_finite_labels", "label_out_of_range", "label_not_integer",
                        // "features_not_scaled", "constant_features", "class_imbalance"
  std::string message;  // what, with the numbers, and what to do
};

struct DataReport {
  std::vector<DataIssue> issues;
  int64_t samples = 0;
  double feature_min = 0, feature_max = 0, feature_mean = 0;  // over finite feature values
  std::map<int64_t, int64_t> class_counts;                    // classification labels only
  bool has(const std::string& kind) const;
  bool ok() const;  // no warnings or errors
  std::string str() const;
};

struct DataCheckOptions {
  int64_t num_classes = -1;       // labels must lie in [0, num_classes) when known (>0)
  bool classification = true;     // y holds class ids (sparse) or one-hot rows
  double scaled_max_abs = 10.0;   // features beyond this magnitude count as unscaled
  double imbalance_ratio = 3.0;   // majority/minority count above this is reported
  bool constant_features = true;  // per-feature variance check (one more pass over x)
  bool check_scaling = true;      // off for token ids (the model starts with an Embedding): ids are not scaled
  bool sparse_labels = false;     // every label element is a class id ([N, T] per-step labels, not one-hot rows)
  int64_t max_feature_rows = -1;  // > 0: feature statistics from an evenly strided sample of this many rows
                                  // (labels are always all checked; fit's own NaN/Inf check reads every value)
};

DataReport check_dataset(const Tensor& x, const Tensor& y, const DataCheckOptions& opts = {});
// Reads up to max_batches elements (x, y[, w]) of the pipeline.
DataReport check_dataset(const data::Dataset& ds, const DataCheckOptions& opts = {}, int64_t max_batches = 200);

// fit's automatic checks: on by default; warnings go to the stream (std::cerr by default).
void set_fit_data_checks(bool on, std::ostream* out = &std::cerr);

namespace fit_hook {
bool install_fit_data_checks();
// Dynamic initialisation of this inline variable in any program that includes the header installs the hook,
// which a static registration inside the (static) library could not guarantee.
inline const bool fit_data_checks_installed = install_fit_data_checks();
}  // namespace fit_hook

}  // namespace nabla::debug
