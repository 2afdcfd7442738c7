#include "nabla/train/data_adapter.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "nabla/core/parallel.h"
#include "nabla/core/random.h"
#include "nabla/data/imbalance/labels.h"
#include "nabla/ops/shape_ops.h"

namespace nabla::detail {

int64_t rows(const Tensor& t) { return t.dim() ? t.size(0) : 1; }

std::vector<Tensor> slice_rows(const std::vector<Tensor>& ts, int64_t begin, int64_t end) {
  std::vector<Tensor> r;
  r.reserve(ts.size());
  for (const Tensor& t : ts) r.push_back(slice(t, 0, begin, end));
  return r;
}

void check_rows(const std::vector<Tensor>& xs, const std::vector<Tensor>& ys, const char* who) {
  if (xs.empty() || ys.empty())
    throw ValueError(detail::concat(who, ": needs at least one input and one target"));
  int64_t n = rows(xs[0]);
  for (size_t i = 0; i < xs.size(); ++i)
    NABLA_CHECK_SHAPE(rows(xs[i]) == n, who, ": x has ", n, " samples (shape ", xs[0].shape().str(), ") but input ",
                      i, " has ", rows(xs[i]), " (shape ", xs[i].shape().str(), ")");
  for (size_t i = 0; i < ys.size(); ++i)
    NABLA_CHECK_SHAPE(rows(ys[i]) == n, who, ": x has ", n, " samples (shape ", xs[0].shape().str(), ") but y",
                      ys.size() > 1 ? " " + std::to_string(i) : std::string(), " has ", rows(ys[i]), " (shape ",
                      ys[i].shape().str(), ")");
}

namespace {

// Whether x[0, n) holds a NaN or an Inf, from the exponent bits: a loop without early exit that the compiler
// vectorizes (fit checks whole datasets: 47M MNIST values).
template <class T>
bool has_non_finite(const T* x, int64_t n) {
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  constexpr Bits exponent = sizeof(T) == 4 ? Bits(0x7f800000u) : Bits(0x7ff0000000000000ull);
  Bits any = 0;
  for (int64_t i = 0; i < n; ++i) {
    Bits b;
    std::memcpy(&b, x + i, sizeof b);
    any |= Bits((b & exponent) == exponent);
  }
  return any != 0;
}

}  // namespace

void check_finite(const Tensor& t, const char* what) {
  if (!is_floating(t.dtype())) return;
  Tensor c = t.contiguous();
  int64_t per = c.dim() && c.size(0) ? c.numel() / c.size(0) : 1;
  NABLA_DISPATCH_FLOAT(c.dtype(), T, {
    const T* p = c.data<T>();
    constexpr int64_t kBlock = 1 << 16;
    const int64_t n = c.numel(), blocks = (n + kBlock - 1) / kBlock;
    std::atomic<int64_t> first_bad{blocks};  // the lowest block holding a non-finite value
    parallel_for(0, blocks, kBlock * int64_t(sizeof(T)), [&](int64_t b, int64_t e) {
      for (int64_t k = b; k < e && k < first_bad.load(std::memory_order_relaxed); ++k)
        if (has_non_finite(p + k * kBlock, std::min(kBlock, n - k * kBlock))) {
          int64_t cur = first_bad.load();
          while (k < cur && !first_bad.compare_exchange_weak(cur, k)) {
          }
          break;
        }
    });
    if (first_bad.load() < blocks)
      for (int64_t i = first_bad.load() * kBlock; i < n; ++i)
        if (!std::isfinite(p[i]))
          throw ValueError(detail::concat("fit: ", what, " contains ", std::isnan(p[i]) ? "NaN" : "Inf",
                                          " at sample ", i / per, " (flat index ", i, "); nabla does not train on "
                                          "non-finite data — clean or impute it first"));
  });
}

DType input_float_dtype(const std::vector<Tensor>& weights) {
  for (const Tensor& w : weights)
    if (is_floating(w.dtype())) return w.dtype();
  return f32;
}

void cast_floating(std::vector<Tensor>& xs, DType dtype) {
  for (Tensor& x : xs)
    if (is_floating(x.dtype()) && x.dtype() != dtype) x = x.to(dtype);
}

TensorAdapter::TensorAdapter(std::vector<Tensor> xs, std::vector<Tensor> ys, Tensor sample_weight,
                             int64_t batch_size, bool shuffle)
    : xs_(std::move(xs)), ys_(std::move(ys)), sw_(std::move(sample_weight)), n_(rows(xs_.at(0))),
      batch_size_(batch_size), shuffle_(shuffle) {
  if (shuffle_) {
    order_.resize(size_t(n_));
    for (int64_t i = 0; i < n_; ++i) order_[size_t(i)] = i;
  }
}

void TensorAdapter::shard(int replica, int replicas, uint64_t seed) {
  replica_ = replica;
  replicas_ = replicas;
  seed_ = seed;
}

void TensorAdapter::next(Batch& b) {
  if (cursor_ >= n_) cursor_ = 0;
  if (cursor_ == 0 && shuffle_) {  // a fresh order per pass
    if (seed_) {
      Generator g(splitmix64(*seed_ + ++pass_));
      data::shuffle_in_place(order_, g);
    } else {
      data::shuffle_in_place(order_, default_generator());
    }
  }
  const int64_t global_end = std::min(cursor_ + batch_size_ * replicas_, n_);
  // This replica's even part of the global batch [cursor_, global_end).
  const int64_t m = global_end - cursor_, begin = cursor_ + m * replica_ / replicas_;
  const int64_t end = cursor_ + m * (replica_ + 1) / replicas_;
  cursor_ = global_end;
  if (seed_) {
    b.global_rows = m;
    if (begin == end) {  // nothing for this replica in this (last) global batch: it joins
      b.xs.clear();
      b.ys.clear();
      return;
    }
  }
  if (shuffle_) {
    std::span<const int64_t> idx(order_.data() + begin, size_t(end - begin));
    b.xs.resize(xs_.size());
    for (size_t i = 0; i < xs_.size(); ++i) b.xs[i] = data::gather_rows(xs_[i], idx, cast_);
    b.ys.resize(ys_.size());
    for (size_t i = 0; i < ys_.size(); ++i) b.ys[i] = data::gather_rows(ys_[i], idx);
    b.sw = sw_.defined() ? data::gather_rows(sw_, idx) : Tensor();
  } else {
    b.xs = slice_rows(xs_, begin, end);
    b.ys = slice_rows(ys_, begin, end);
    b.sw = sw_.defined() ? slice(sw_, 0, begin, end) : Tensor();
    if (cast_) cast_floating(b.xs, *cast_);  // shuffled rows were converted as they were gathered
  }
}

void TensorAdapter::set_position(std::vector<int64_t> order, int64_t cursor) {
  if (cursor < 0 || cursor > n_)
    throw ValueError(detail::concat("fit: cannot resume at row ", cursor, " of data with ", n_, " samples"));
  if (!shuffle_) {
    if (!order.empty()) throw ValueError("fit: the saved position has a shuffled order but fit has shuffle=false");
  } else {
    if (int64_t(order.size()) != n_)
      throw ValueError(detail::concat("fit: the saved shuffle order has ", order.size(), " rows but the data has ", n_,
                                      " (resume with the same data)"));
    std::vector<bool> seen(size_t(n_), false);
    for (int64_t i : order) {
      if (i < 0 || i >= n_ || seen[size_t(i)])
        throw ValueError(detail::concat("fit: the saved shuffle order is not a permutation of 0..", n_ - 1));
      seen[size_t(i)] = true;
    }
    order_ = std::move(order);
  }
  cursor_ = cursor;
}

DatasetAdapter::DatasetAdapter(const data::Dataset& dataset, bool continue_across_epochs, const char* who)
    : dataset_(dataset), continue_(continue_across_epochs), who_(who) {}

void DatasetAdapter::begin_epoch() {
  if (!it_ || !continue_) start_pass();
}

void DatasetAdapter::start_pass() {
  it_.emplace(dataset_.make_iterator());
  ++passes_;
  taken_ = 0;
  for (; skip_ > 0; --skip_, ++taken_)
    if (!it_->next()) break;  // the data is shorter than when it was backed up: the pass ends here
  skip_ = 0;
}

bool DatasetAdapter::take(Batch& b) {
  std::optional<data::Element> e = it_->next();
  if (e) ++taken_;
  return unpack(std::move(e), b, who_);
}

bool DatasetAdapter::next(Batch& b) {
  if (!it_) start_pass();
  if (take(b)) return true;
  if (!continue_) return false;
  start_pass();
  return take(b);
}

std::pair<int64_t, int64_t> DatasetAdapter::position(bool at_epoch_end) const {
  if (!it_ || (at_epoch_end && !continue_)) return {passes_, 0};
  return {passes_ - 1, taken_};
}

void DatasetAdapter::resume_at(int64_t passes, int64_t taken) {
  if (passes < 0 || taken < 0)
    throw ValueError(detail::concat(who_, ": cannot resume a dataset at pass ", passes, ", element ", taken));
  it_.reset();
  for (int64_t i = 0; i < passes; ++i) (void)dataset_.make_iterator();  // each draws its pass's seeds
  passes_ = passes;
  skip_ = taken;
}

std::optional<data::PipelineStats> DatasetAdapter::stats() const {
  if (!it_) return std::nullopt;
  return it_->stats();
}

bool unpack(std::optional<data::Element> e, Batch& b, const char* who) {
  if (!e) return false;
  if (e->size() < 2 || e->size() > 3)
    throw ValueError(detail::concat(who, ": dataset elements must be (x, y) or (x, y, sample_weight), got a tuple "
                                    "of ", e->size(), " tensors"));
  b.xs.assign(1, (*e)[0]);
  b.ys.assign(1, (*e)[1]);
  b.sw = e->size() == 3 ? (*e)[2] : Tensor();
  if (!(b.xs[0].dim() >= 1 && rows(b.xs[0]) == rows(b.ys[0])))
    throw ValueError(detail::concat(who, ": a dataset element has x of shape ", b.xs[0].shape().str(),
                                    " and y of shape ", b.ys[0].shape().str(), "; batch the dataset "
                                    "(dataset.batch(32)) so that both have a leading batch axis of the same size"));
  return true;
}

}  // namespace nabla::detail
