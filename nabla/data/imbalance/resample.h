#pragma once
// sklearn.utils.resample: a bootstrap (or subsample) of (x, y), optionally stratified so that the class mix
// of `stratify` is kept.
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "nabla/core/tensor.h"

namespace nabla::data {

struct ResampleOptions {
  bool replace = true;
  int64_t n_samples = -1;                   // -1: as many as the input
  Tensor stratify;                          // class labels [N] whose proportions the result keeps
  std::optional<uint64_t> random_state;     // unset: drawn from nabla's default generator
};

// The row indices a resample draws (in random order, as sklearn).
std::vector<int64_t> resample_indices(int64_t n, const ResampleOptions& opts = {});
std::pair<Tensor, Tensor> resample(const Tensor& x, const Tensor& y, const ResampleOptions& opts = {});
Tensor resample(const Tensor& x, const ResampleOptions& opts = {});

}  // namespace nabla::data
