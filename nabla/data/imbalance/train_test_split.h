#pragma once
// sklearn.model_selection.train_test_split for (x, y), optionally stratified: with `stratify` the test set
// keeps each class's share (a rare class is split in proportion, not left to chance).
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "nabla/core/tensor.h"

namespace nabla::data {

struct SplitOptions {
  double test_size = 0.25;                 // a fraction in (0, 1), or a count when >= 1
  bool shuffle = true;                     // false: the last rows are the test set (stratify needs shuffle)
  Tensor stratify;                         // class labels [N]
  std::optional<uint64_t> random_state;
};

struct Split {
  Tensor x_train, x_test, y_train, y_test;
};

// Row indices (train, test), as sklearn's ShuffleSplit / StratifiedShuffleSplit: n_test = ceil(test_size * N).
std::pair<std::vector<int64_t>, std::vector<int64_t>> train_test_split_indices(int64_t n, const SplitOptions& o = {});
Split train_test_split(const Tensor& x, const Tensor& y, const SplitOptions& o = {});

}  // namespace nabla::data
