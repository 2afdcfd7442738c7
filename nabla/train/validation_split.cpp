#include "nabla/train/validation_split.h"

#include <cmath>
#include <map>

#include "nabla/data/imbalance/labels.h"
#include "nabla/ops/shape_ops.h"
#include "nabla/train/data_adapter.h"

namespace nabla::detail {
namespace {

// Per class, the last floor(fraction * count) samples go to validation. Indices in their original order.
std::pair<std::vector<int64_t>, std::vector<int64_t>> stratified_tail(const Tensor& y, double fraction) {
  std::vector<int64_t> labels = data::labels_of(y);
  std::map<int64_t, int64_t> left;  // validation samples still to take, per class
  for (int64_t c : labels) ++left[c];
  for (auto& [c, k] : left) k = int64_t(std::floor(double(k) * fraction));
  std::vector<bool> is_val(labels.size());
  for (int64_t i = int64_t(labels.size()) - 1; i >= 0; --i)
    if (left[labels[size_t(i)]] > 0) {
      --left[labels[size_t(i)]];
      is_val[size_t(i)] = true;
    }
  std::vector<int64_t> tr, va;
  for (size_t i = 0; i < labels.size(); ++i) (is_val[i] ? va : tr).push_back(int64_t(i));
  if (tr.empty() || va.empty())
    throw ValueError(detail::concat("fit: stratified validation_split ", fraction, " leaves no data on one side"));
  return {tr, va};
}

SplitData gather(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, const Tensor& sw,
                 const std::vector<int64_t>& idx) {
  SplitData d;
  for (const Tensor& x : xs) d.xs.push_back(data::gather_rows(x, idx));
  for (const Tensor& y : ys) d.ys.push_back(data::gather_rows(y, idx));
  if (sw.defined()) d.sample_weight = data::gather_rows(sw, idx);
  return d;
}

}  // namespace

std::pair<SplitData, SplitData> validation_split(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys,
                                                 const Tensor& sw, double fraction, bool stratify) {
  const int64_t n = rows(xs.at(0));
  const int64_t split = n - int64_t(std::floor(double(n) * fraction));
  if (!(split > 0 && split < n))
    throw ValueError(detail::concat("fit: validation_split ", fraction, " leaves no data on one side"));
  if (stratify) {
    if (ys.size() != 1) throw ValueError("fit: stratify_validation_split needs a single output");
    auto [tr, va] = stratified_tail(ys[0], fraction);
    return {gather(xs, ys, sw, tr), gather(xs, ys, Tensor(), va)};
  }
  SplitData train{slice_rows(xs, 0, split), slice_rows(ys, 0, split),
                  sw.defined() ? slice(sw, 0, 0, split) : Tensor()};
  SplitData val{slice_rows(xs, split, n), slice_rows(ys, split, n), Tensor()};
  return {std::move(train), std::move(val)};
}

}  // namespace nabla::detail
