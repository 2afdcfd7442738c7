#include "nabla/dist/gradient_buckets.h"

#include <algorithm>
#include <cstring>

namespace nabla::dist {

using Clock = std::chrono::steady_clock;

GradientBuckets::GradientBuckets(Communicator& comm, int64_t bucket_bytes) : comm_(comm), bucket_bytes_(bucket_bytes) {
  NABLA_CHECK(bucket_bytes > 0, "GradientBuckets: bucket_bytes must be positive, got ", bucket_bytes);
}

void GradientBuckets::plan(const std::vector<Tensor>& params) {
  bool same = params.size() == params_.size();
  for (size_t i = 0; same && i < params.size(); ++i) same = params[i].same(params_[i]);
  if (same) return;
  params_ = params;
  index_.clear();
  slots_.assign(params.size(), Slot{});
  buckets_.clear();
  int64_t bytes = 0;
  // Reverse order: backward finalises the last layers' gradients first, so the first bucket fills first.
  for (size_t k = params.size(); k-- > 0;) {
    const Tensor& p = params[k];
    NABLA_CHECK(is_floating(p.dtype()), "data-parallel training: parameter ", k, " has dtype ",
                dtype_name(p.dtype()), "; only float32/float64 parameters are averaged");
    const int64_t b = int64_t(p.nbytes());
    if (buckets_.empty() || buckets_.back().dtype != p.dtype() || (bytes > 0 && bytes + b > bucket_bytes_)) {
      buckets_.emplace_back();
      buckets_.back().dtype = p.dtype();
      bytes = 0;
    }
    Bucket& bk = buckets_.back();
    slots_[k] = Slot{buckets_.size() - 1, bk.numel, false};
    bk.params.push_back(k);
    bk.numel += p.numel();
    bytes += b;
    index_[p.impl()] = k;
  }
  stats_.buckets = int64_t(buckets_.size());
}

void GradientBuckets::begin(const std::vector<Tensor>& params, double weight) {
  plan(params);
  weight_ = weight;
  for (Bucket& bk : buckets_) {
    bk.pending = bk.params.size();
    // A fresh buffer each step (from the caching allocator): last step's gradients are views of the old one.
    bk.buffer = Tensor::empty(Shape{bk.numel}, bk.dtype);
    bk.work.reset();
  }
  for (Slot& s : slots_) s.packed = false;
  next_launch_ = 0;
  launched_any_ = false;
  active_ = true;
  autograd::set_leaf_grad_hook(this);
}

void GradientBuckets::pack(size_t k) {
  Slot& s = slots_[k];
  Bucket& bk = buckets_[s.bucket];
  const Tensor& p = params_[k];
  Tensor g = p.grad();
  NABLA_DISPATCH_FLOAT(bk.dtype, T, {
    T* dst = bk.buffer.data<T>() + s.offset;
    if (!g.defined() || weight_ == 0) {
      std::memset(dst, 0, p.nbytes());
    } else {
      NABLA_CHECK(g.dtype() == p.dtype() && g.numel() == p.numel(), "data-parallel training: the gradient of ",
                  "parameter ", k, " has dtype ", dtype_name(g.dtype()), " and ", g.numel(), " elements for a ",
                  dtype_name(p.dtype()), " parameter of ", p.numel());
      Tensor c = g.contiguous();
      const T* src = c.data<T>();
      const int64_t n = c.numel();
      if (weight_ == 1) {
        std::memcpy(dst, src, size_t(n) * sizeof(T));
      } else {
        const T w = T(weight_);
        for (int64_t i = 0; i < n; ++i) dst[i] = src[i] * w;
      }
    }
  });
  s.packed = true;
  --bk.pending;
}

void GradientBuckets::launch_ready() {
  // Buckets start in plan order on every replica (collectives must match), each as soon as it and all
  // earlier ones are full.
  while (next_launch_ < buckets_.size() && buckets_[next_launch_].pending == 0) {
    Bucket& bk = buckets_[next_launch_++];
    if (!launched_any_) {
      first_launch_ = Clock::now();
      launched_any_ = true;
    }
    bk.work = comm_.allreduce_async(bk.buffer.raw_data(), bk.numel, bk.dtype, ReduceOp::sum);
  }
}

void GradientBuckets::on_leaf_grad_ready(TensorImpl& leaf) {
  if (!active_) return;
  auto it = index_.find(&leaf);
  if (it == index_.end() || slots_[it->second].packed) return;
  pack(it->second);
  launch_ready();
}

void GradientBuckets::finish() {
  autograd::set_leaf_grad_hook(nullptr);
  if (!active_) return;
  active_ = false;
  for (size_t k = 0; k < slots_.size(); ++k)
    if (!slots_[k].packed) pack(k);
  launch_ready();
  const auto wait_from = Clock::now();
  Clock::time_point last_done = first_launch_;
  for (Bucket& bk : buckets_) {
    bk.work->wait();
    last_done = std::max(last_done, bk.work->finished_at());
  }
  if (launched_any_) {
    stats_.comm_seconds += std::chrono::duration<double>(last_done - first_launch_).count();
    stats_.exposed_seconds += std::chrono::duration<double>(Clock::now() - wait_from).count();
  }
  ++stats_.steps;
  for (size_t k = 0; k < params_.size(); ++k) {
    const Slot& s = slots_[k];
    const Bucket& bk = buckets_[s.bucket];
    const Shape& shape = params_[k].shape();
    params_[k].set_grad(make_view(bk.buffer, shape, contiguous_strides(shape), bk.buffer.offset() + s.offset));
  }
}

void GradientBuckets::join(const std::vector<Tensor>& params) {
  begin(params, 0.0);
  finish();
}

}  // namespace nabla::dist
