#include "nabla/data/imbalance/resample.h"

#include "nabla/data/imbalance/labels.h"

namespace nabla::data {

std::vector<int64_t> resample_indices(int64_t n, const ResampleOptions& o) {
  const int64_t k = o.n_samples < 0 ? n : o.n_samples;
  NABLA_CHECK(o.replace || k <= n, "resample: cannot sample ", k, " of ", n, " samples without replacement");
  Generator g = generator_for(o.random_state);
  if (!o.stratify.defined()) {
    std::vector<int64_t> all(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) all[size_t(i)] = i;
    return draw(all, k, o.replace, g);
  }
  NABLA_CHECK_SHAPE(o.stratify.size(0) == n, "resample: stratify has ", o.stratify.size(0), " labels for ", n,
                    " samples");
  auto by_class = indices_by_class(o.stratify);
  std::map<int64_t, int64_t> counts;
  for (auto& [c, idx] : by_class) counts[c] = int64_t(idx.size());
  std::vector<int64_t> out;
  for (auto& [c, m] : proportional_counts(counts, k)) {
    auto part = draw(by_class[c], m, o.replace, g);
    out.insert(out.end(), part.begin(), part.end());
  }
  shuffle_in_place(out, g);
  return out;
}

std::pair<Tensor, Tensor> resample(const Tensor& x, const Tensor& y, const ResampleOptions& o) {
  NABLA_CHECK_SHAPE(x.size(0) == y.size(0), "resample: x has ", x.size(0), " samples but y has ", y.size(0));
  auto idx = resample_indices(x.size(0), o);
  return {gather_rows(x, idx), gather_rows(y, idx)};
}

Tensor resample(const Tensor& x, const ResampleOptions& o) { return gather_rows(x, resample_indices(x.size(0), o)); }

}  // namespace nabla::data
