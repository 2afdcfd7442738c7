#include "nabla/data/imbalance/train_test_split.h"

#include <cmath>

#include "nabla/data/imbalance/labels.h"

namespace nabla::data {

std::pair<std::vector<int64_t>, std::vector<int64_t>> train_test_split_indices(int64_t n, const SplitOptions& o) {
  const int64_t n_test =
      o.test_size >= 1 ? int64_t(o.test_size) : int64_t(std::ceil(o.test_size * double(n)));
  NABLA_CHECK(o.test_size > 0 && n_test > 0 && n_test < n, "train_test_split: test_size ", o.test_size,
              " leaves an empty side for ", n, " samples");
  std::vector<int64_t> train, test;
  Generator g = generator_for(o.random_state);
  if (o.stratify.defined()) {
    NABLA_CHECK(o.shuffle, "train_test_split: stratified splitting requires shuffle = true (as sklearn)");
    NABLA_CHECK_SHAPE(o.stratify.size(0) == n, "train_test_split: stratify has ", o.stratify.size(0),
                      " labels for ", n, " samples");
    auto by_class = indices_by_class(o.stratify);
    std::map<int64_t, int64_t> counts;
    for (auto& [c, idx] : by_class) {
      NABLA_CHECK(idx.size() >= 2, "train_test_split: class ", c, " has only ", idx.size(),
                  " sample; stratification needs at least 2 per class");
      counts[c] = int64_t(idx.size());
    }
    auto test_counts = proportional_counts(counts, n_test);
    for (auto& [c, idx] : by_class) {
      std::vector<int64_t> perm = draw(idx, int64_t(idx.size()), false, g);
      test.insert(test.end(), perm.begin(), perm.begin() + test_counts[c]);
      train.insert(train.end(), perm.begin() + test_counts[c], perm.end());
    }
    shuffle_in_place(train, g);
    shuffle_in_place(test, g);
    return {train, test};
  }
  std::vector<int64_t> all(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) all[size_t(i)] = i;
  if (o.shuffle) shuffle_in_place(all, g);
  const int64_t n_train = n - n_test;
  if (o.shuffle) {  // sklearn's ShuffleSplit: the test set first in the permutation
    test.assign(all.begin(), all.begin() + n_test);
    train.assign(all.begin() + n_test, all.end());
  } else {
    train.assign(all.begin(), all.begin() + n_train);
    test.assign(all.begin() + n_train, all.end());
  }
  return {train, test};
}

Split train_test_split(const Tensor& x, const Tensor& y, const SplitOptions& o) {
  NABLA_CHECK_SHAPE(x.size(0) == y.size(0), "train_test_split: x has ", x.size(0), " samples but y has ", y.size(0));
  auto [tr, te] = train_test_split_indices(x.size(0), o);
  return {gather_rows(x, tr), gather_rows(x, te), gather_rows(y, tr), gather_rows(y, te)};
}

}  // namespace nabla::data
