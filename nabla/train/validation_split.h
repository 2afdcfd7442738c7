#pragma once
// fit's validation_split (Keras's train_validation_split): the last fraction of the samples, taken before
// shuffling, or with stratify the last fraction of each class, so both sides keep the class mix. Internal to
// train/.
#include <vector>

#include "nabla/core/tensor.h"

namespace nabla::detail {

struct SplitData {
  std::vector<Tensor> xs, ys;
  Tensor sample_weight;  // undefined when none was given
};

// Splits (xs, ys, sample_weight) into training and validation parts; fraction in (0, 1). stratify needs a
// single target; its class ids are read by data::labels_of.
std::pair<SplitData, SplitData> validation_split(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys,
                                                 const Tensor& sample_weight, double fraction, bool stratify);

}  // namespace nabla::detail
