#pragma once
// Bucketed gradient averaging overlapped with backward (Horovod's tensor fusion, PyTorch DDP's reducer). The
// parameters are grouped, in reverse order (the order backward produces their gradients), into buckets of about
// bucket_bytes. As backward finalises each gradient (autograd's LeafGradHook) it is copied into its bucket,
// scaled by this replica's share of the global batch; a full bucket starts its allreduce (sum) at once, on the
// communicator's thread, while backward goes on. finish() starts what is left, waits only for what is still in
// flight, and hands each parameter its averaged gradient as a view of its bucket.
#include <chrono>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "nabla/autograd/leaf_grad_hook.h"
#include "nabla/dist/communicator.h"

namespace nabla::dist {

// Where one step's communication went: for the overlap figures (bench/dist_bench).
struct OverlapStats {
  double comm_seconds = 0;     // first bucket started -> last bucket completed
  double exposed_seconds = 0;  // of that, time finish() waited after backward had ended
  int64_t steps = 0;
  int64_t buckets = 0;  // in the current plan
  double hidden_fraction() const { return comm_seconds > 0 ? 1.0 - exposed_seconds / comm_seconds : 0.0; }
};

class GradientBuckets : public autograd::LeafGradHook {
 public:
  GradientBuckets(Communicator& comm, int64_t bucket_bytes);
  // Before backward: params are the same list, in the same order, on every replica (re-planned when it changes);
  // weight scales this replica's gradients (its rows / the global batch's rows). Installs the hook on this thread.
  void begin(const std::vector<Tensor>& params, double weight);
  void on_leaf_grad_ready(TensorImpl& leaf) override;
  // After backward: removes the hook, starts the buckets backward did not fill (a parameter without a gradient
  // contributes zeros), waits, and sets every parameter's .grad to the average.
  void finish();
  // No local data this step: contributes zeros, receives the average.
  void join(const std::vector<Tensor>& params);
  const OverlapStats& stats() const { return stats_; }
  void reset_stats() { stats_ = OverlapStats{.buckets = stats_.buckets}; }

 private:
  struct Slot {
    size_t bucket = 0;
    int64_t offset = 0;  // elements into the bucket
    bool packed = false;
  };
  struct Bucket {
    DType dtype = f32;
    int64_t numel = 0;
    std::vector<size_t> params;  // indices into params_
    size_t pending = 0;
    Tensor buffer;
    WorkPtr work;
  };
  void plan(const std::vector<Tensor>& params);
  void pack(size_t param);
  void launch_ready();
  Communicator& comm_;
  int64_t bucket_bytes_;
  std::vector<Tensor> params_;
  std::unordered_map<const TensorImpl*, size_t> index_;
  std::vector<Slot> slots_;
  std::vector<Bucket> buckets_;
  size_t next_launch_ = 0;
  double weight_ = 1;
  bool active_ = false;
  std::chrono::steady_clock::time_point first_launch_{};
  bool launched_any_ = false;
  OverlapStats stats_;
};

}  // namespace nabla::dist
