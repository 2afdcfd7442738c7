#include "nabla/dist/multi_worker_mirrored_strategy.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "nabla/core/parallel.h"
#include "nabla/core/random.h"
#include "nabla/dist/mpi_communicator.h"
#include "nabla/train/model.h"

namespace nabla::dist {
namespace {

// Swallows what workers would print.
struct NullBuf : std::streambuf {
  int overflow(int c) override { return c; }
};

std::unique_ptr<Communicator> make_mpi(const StrategyOptions& o) {
  auto comm = std::make_unique<MpiCommunicator>(MpiOptions{.timeout_seconds = o.timeout_seconds});
  // N processes on one machine share its cores: each takes its part unless the user chose.
  if (!std::getenv("NABLA_NUM_THREADS")) {
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    set_num_threads(std::max(1, cores / comm->local_size()));
  }
  return comm;
}

}  // namespace

MultiWorkerMirroredStrategy::MultiWorkerMirroredStrategy(StrategyOptions options)
    : MultiWorkerMirroredStrategy(make_mpi(options), options) {}

MultiWorkerMirroredStrategy::MultiWorkerMirroredStrategy(std::unique_ptr<Communicator> comm, StrategyOptions options)
    : options_(options), comm_(std::move(comm)), buckets_(*comm_, options.bucket_bytes) {
  quiet_if_worker();
}

MultiWorkerMirroredStrategy::~MultiWorkerMirroredStrategy() {
  if (cout_buf_) std::cout.rdbuf(cout_buf_);
}

void MultiWorkerMirroredStrategy::quiet_if_worker() {
  if (!options_.quiet_workers || comm_->rank() == 0) return;
  null_buf_ = std::make_unique<NullBuf>();
  cout_buf_ = std::cout.rdbuf(null_buf_.get());
}

void MultiWorkerMirroredStrategy::sync_model(Model& model) {
  std::vector<Tensor> weights = model.weights();
  if (weights.empty()) {  // not built yet (no input shape): synced once the first forward pass has built it
    unsynced_ = &model;
    return;
  }
  unsynced_ = nullptr;
  for (Tensor& w : weights) comm_->broadcast(w, 0);
  if (!model.compiled()) return;
  // The optimizer's state too (a chief restored from a checkpoint carries moments and its iteration count).
  std::vector<Tensor> params = model.trainable_weights();
  optim::Optimizer& opt = model.optimizer();
  for (auto& [name, t] : opt.variables(params)) {
    if (name == "iteration") {
      int64_t it = opt.iterations();
      comm_->broadcast(&it, sizeof it, 0);
      opt.set_iterations(it);
    } else if (name == "learning_rate") {  // as a double: the float32 variable would round it
      double lr = opt.learning_rate();
      comm_->broadcast(&lr, sizeof lr, 0);
      if (lr != opt.learning_rate()) opt.set_learning_rate(lr);
    } else {
      comm_->broadcast(t, 0);  // a slot (Adam's moments, ...): the optimizer's own tensor, in place
    }
  }
}

uint64_t MultiWorkerMirroredStrategy::shared_seed() {
  // Every replica draws (their default generators stay in step), the chief's draw is used.
  uint64_t seed = default_generator().next_u64();
  comm_->broadcast(&seed, sizeof seed, 0);
  return seed;
}

void MultiWorkerMirroredStrategy::begin_backward(const std::vector<Tensor>& params, double weight) {
  if (unsynced_) sync_model(*unsynced_);
  buckets_.begin(params, weight);
}

void MultiWorkerMirroredStrategy::end_backward() { buckets_.finish(); }

void MultiWorkerMirroredStrategy::join_step(const std::vector<Tensor>& params) {
  if (unsynced_) sync_model(*unsynced_);
  buckets_.join(params);
}

void MultiWorkerMirroredStrategy::allreduce_sum(std::vector<double>& values) {
  if (values.empty()) return;
  comm_->allreduce(values.data(), int64_t(values.size()), DType::f64, ReduceOp::sum);
}

}  // namespace nabla::dist
