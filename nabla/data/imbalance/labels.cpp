#include "nabla/data/imbalance/labels.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "nabla/core/parallel.h"

namespace nabla::data {

std::vector<int64_t> class_ids(const Tensor& labels, LabelEncoding encoding) {
  NABLA_CHECK(labels.defined(), "labels are undefined");
  Tensor y = labels.detach().to(f64).contiguous();
  const double* p = y.data<double>();
  const bool categorical = encoding == LabelEncoding::infer && y.dim() >= 2 && y.shape().back() > 1;
  std::vector<int64_t> out;
  if (categorical) {
    const int64_t c = y.shape().back(), m = y.numel() / c;
    out.resize(size_t(m));
    for (int64_t i = 0; i < m; ++i) {
      int64_t best = 0;
      for (int64_t j = 1; j < c; ++j)
        if (p[i * c + j] > p[i * c + best]) best = j;
      out[size_t(i)] = best;
    }
    return out;
  }
  out.resize(size_t(y.numel()));
  for (int64_t i = 0; i < y.numel(); ++i) {
    if (!(p[i] >= 0 && p[i] == std::floor(p[i])))
      throw ValueError(detail::concat("labels must be non-negative class ids; label ", i, " is ", p[i]));
    out[size_t(i)] = int64_t(p[i]);
  }
  return out;
}

std::vector<int64_t> labels_of(const Tensor& y) {
  NABLA_CHECK(y.defined() && y.dim() >= 1, "labels must be a tensor with a sample axis");
  std::vector<int64_t> ids = class_ids(y);
  NABLA_CHECK_SHAPE(int64_t(ids.size()) == y.size(0), "labels of shape ", y.shape().str(), " hold ", ids.size(),
                    " class ids for ", y.size(0), " samples; one class per sample is needed ([N], [N, 1] or "
                    "one-hot [N, C])");
  return ids;
}

std::map<int64_t, std::vector<int64_t>> indices_by_class(const Tensor& y) {
  std::map<int64_t, std::vector<int64_t>> r;
  auto l = labels_of(y);
  for (size_t i = 0; i < l.size(); ++i) r[l[i]].push_back(int64_t(i));
  return r;
}

Generator generator_for(std::optional<uint64_t> random_state) {
  return Generator(random_state ? *random_state : default_generator().next_u64());
}

Tensor gather_rows(const Tensor& t0, std::span<const int64_t> idx, std::optional<DType> as) {
  Tensor t = t0.detach().contiguous();
  const int64_t n = t.dim() ? t.size(0) : 1;
  Shape s = t.shape();
  s[0] = int64_t(idx.size());
  const DType out_dtype = as && is_floating(*as) && is_floating(t.dtype()) ? *as : t.dtype();
  Tensor out = make_tensor(s, out_dtype);
  const int64_t per = n ? t.numel() / n : 0;  // values per row
  for (size_t i = 0; i < idx.size(); ++i)
    NABLA_CHECK(idx[i] >= 0 && idx[i] < n, "row index ", idx[i], " out of range for ", n, " rows");
  // Rows at random places of a dataset larger than the caches: each copy mostly waits on memory (a shuffled
  // MNIST batch of 32 rows took 18 us of a step), so the rows are split over the threads from ~64 KiB on,
  // far sooner than an in-cache loop of that size would be. Prefetching the next batch's rows during the step
  // (in a burst after the gather, or a few lines at a time inside Adam's divide-bound loop) did not pay: the wait
  // left the gather (W1: 22 -> 7 us) and the step grew by as much (issue 17, stop 33).
  const int64_t row_bytes = per * int64_t(dtype_size(t.dtype()));
  // width: row length in units of the pointers' type (bytes for the plain copy, values when converting).
  auto copy_rows = [&](auto* dst, const auto* src, int64_t width) {
    parallel_for(0, int64_t(idx.size()), row_bytes * 32, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) std::copy_n(src + idx[size_t(i)] * width, width, dst + i * width);
    });
  };
  if (out_dtype == t.dtype()) {
    copy_rows(static_cast<char*>(out.raw_data()), static_cast<const char*>(t.raw_data()), row_bytes);
  } else {
    NABLA_DISPATCH_FLOAT(out_dtype, D, {
      NABLA_DISPATCH_FLOAT(t.dtype(), S, { copy_rows(out.data<D>(), t.data<S>(), per); });
    });
  }
  return out;
}

void shuffle_in_place(std::span<int64_t> v, Generator& g) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[size_t(g.randint(i))]);
}

std::vector<int64_t> draw(const std::vector<int64_t>& pool, int64_t k, bool replace, Generator& g) {
  NABLA_CHECK(k >= 0, "cannot draw ", k, " samples");
  std::vector<int64_t> out;
  if (k == 0) return out;
  NABLA_CHECK(!pool.empty(), "cannot draw ", k, " samples from an empty class");
  if (replace) {
    for (int64_t i = 0; i < k; ++i) out.push_back(pool[size_t(g.randint(pool.size()))]);
    return out;
  }
  NABLA_CHECK(size_t(k) <= pool.size(), "cannot draw ", k, " samples without replacement from ", pool.size(),
              "; pass replace = true");
  std::vector<int64_t> v = pool;
  for (size_t i = 0; i < size_t(k); ++i) std::swap(v[i], v[i + size_t(g.randint(v.size() - i))]);
  v.resize(size_t(k));
  return v;
}

std::map<int64_t, int64_t> proportional_counts(const std::map<int64_t, int64_t>& counts, int64_t n) {
  int64_t total = 0;
  for (auto& [c, k] : counts) total += k;
  NABLA_CHECK(total > 0, "no samples to split");
  std::map<int64_t, int64_t> r;
  std::vector<std::pair<double, int64_t>> frac;  // (-fraction, class): sorts largest fraction first
  int64_t given = 0;
  for (auto& [c, k] : counts) {
    double exact = double(n) * double(k) / double(total);
    r[c] = int64_t(std::floor(exact));
    given += r[c];
    frac.emplace_back(-(exact - std::floor(exact)), c);
  }
  std::sort(frac.begin(), frac.end());
  for (size_t i = 0; given < n; ++i, ++given) ++r[frac[i % frac.size()].second];
  return r;
}

}  // namespace nabla::data
