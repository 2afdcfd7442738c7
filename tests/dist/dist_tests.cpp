// Data-parallel training under mpirun (tests/dist/CMakeLists.txt runs this binary with 2 and 4 processes): N
// replicas with batch B each train exactly as one process with batch N*B (SGD and Adam, float64 and float32, with
// and without an unequal last global batch, on tensors and on datasets); every replica ends with bit-identical
// parameters; shards are disjoint and complete and reshuffled identically; only the chief writes files.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <set>

#include "nabla/autograd/node.h"
#include "nabla/dist/multi_worker_mirrored_strategy.h"
#include "nabla/nabla.h"
#include "nabla/train/data_adapter.h"

using namespace nabla;

namespace {

dist::MultiWorkerMirroredStrategy* g_strategy = nullptr;

// Dense in float64 (nabla's layers compute in float32): parity is checked to 1e-12 in float64.
class Dense64 : public nn::Layer {
 public:
  Dense64(int64_t units, bool tanh_act, std::vector<int64_t> input_shape = {})
      : Layer("Dense64"), units_(units), tanh_(tanh_act) {
    declared_input_shape_ = std::move(input_shape);
  }
  void build(const std::vector<Shape>& in) override {
    add_weight("kernel", Shape{in[0].back(), units_}, nn::glorot_uniform(), true, f64);
    add_weight("bias", Shape{units_}, nn::random_uniform(-0.1, 0.1), true, f64);
  }
  Shape compute_output_shape(const std::vector<Shape>& in) const override {
    Shape s = in[0];
    s[s.size() - 1] = units_;
    return s;
  }
  Tensor call(const Tensor& x, bool) override {
    Tensor y = linear(x, weight("kernel"), weight("bias"));
    return tanh_ ? nabla::tanh(y) : y;
  }

 private:
  int64_t units_;
  bool tanh_;
};

std::shared_ptr<Sequential> make_model(bool f64) {
  manual_seed(7);  // the same initial weights for the replicated and the reference model
  if (f64)
    return std::make_shared<Sequential>(std::vector<nn::LayerPtr>{std::make_shared<Dense64>(16, true, std::vector<int64_t>{6}),
                                                                  std::make_shared<Dense64>(3, false)});
  return std::make_shared<Sequential>(std::vector<nn::LayerPtr>{
      layers::Dense(16, "tanh", {.input_shape = {6}}), layers::Dense(3)});
}

struct Data {
  Tensor x, y;
};
Data make_data(int64_t n, bool f64) {
  Generator g(99);
  Tensor x = Tensor::normal({n, 6}, 0, 1, f64 ? DType::f64 : DType::f32, &g);
  Tensor y = Tensor::normal({n, 3}, 0, 1, f64 ? DType::f64 : DType::f32, &g);
  return {x, y};
}

// Largest |a - b| / largest |b| over the tensor.
double rel_diff(const Tensor& a, const Tensor& b) {
  std::vector<double> va = a.to_vector<double>(), vb = b.to_vector<double>();
  double d = 0, m = 0;
  for (size_t i = 0; i < va.size(); ++i) {
    d = std::max(d, std::abs(va[i] - vb[i]));
    m = std::max(m, std::abs(vb[i]));
  }
  return d / m;
}

// Every replica holds the same bytes as the chief.
void expect_identical_across_replicas(const std::vector<Tensor>& ws) {
  dist::Communicator& comm = g_strategy->communicator();
  for (size_t k = 0; k < ws.size(); ++k) {
    Tensor all = comm.allgather(ws[k]);
    const size_t bytes = ws[k].nbytes();
    const char* p = static_cast<const char*>(all.raw_data());
    for (int r = 1; r < comm.size(); ++r)
      EXPECT_EQ(std::memcmp(p, p + r * bytes, bytes), 0) << "weight " << k << " differs on rank " << r;
  }
}

enum class Source { tensors, dataset };

// Trains the replicated model (batch B per replica) and a local reference (batch N*B) for 2 epochs and compares.
void check_parity(bool f64, const std::string& optimizer, int64_t n, int64_t B, Source source, double tol) {
  const int N = g_strategy->num_replicas_in_sync();
  Data d = make_data(n, f64);
  std::shared_ptr<Sequential> replicated;
  {
    auto scope = g_strategy->scope();
    replicated = make_model(f64);
    replicated->compile(optimizer, "mse");
  }
  // Workers start from other weights and another iteration count: fit must start everyone from the chief's.
  replicated->build_if_possible();
  if (g_strategy->replica_id() != 0) {
    for (Tensor& w : replicated->weights()) w.fill_(0.125 * g_strategy->replica_id());
    replicated->optimizer().set_iterations(7);
  }
  auto reference = make_model(f64);
  reference->compile(optimizer, "mse");
  History h;
  if (source == Source::tensors) {
    h = replicated->fit(d.x, d.y, {.epochs = 2, .batch_size = B, .verbose = 0, .shuffle = false});
    reference->fit(d.x, d.y, {.epochs = 2, .batch_size = N * B, .verbose = 0, .shuffle = false});
  } else {
    h = replicated->fit(data::Dataset::from_tensor_slices(d.x, d.y).batch(B), {.epochs = 2, .verbose = 0});
    reference->fit(data::Dataset::from_tensor_slices(d.x, d.y).batch(N * B), {.epochs = 2, .verbose = 0});
  }
  std::vector<Tensor> a = replicated->weights(), b = reference->weights();
  ASSERT_EQ(a.size(), b.size());
  double worst = 0;
  for (size_t k = 0; k < a.size(); ++k) {
    const double r = rel_diff(a[k], b[k]);
    worst = std::max(worst, r);
    EXPECT_LE(r, tol) << "weight " << k << " (" << optimizer << ", " << (f64 ? "f64" : "f32") << ", n=" << n << ")";
  }
  if (g_strategy->replica_id() == 0)
    std::cout << "parity " << optimizer << (f64 ? " f64" : " f32") << " N=" << N << " B=" << B << " n=" << n
              << (source == Source::tensors ? " tensors" : " dataset") << ": largest relative difference " << worst
              << "\n";
  expect_identical_across_replicas(a);
  // The logged (averaged) metrics are the same on every replica.
  Tensor loss = Tensor::from_vector(h.history.at("loss"));
  expect_identical_across_replicas({loss});
  // Training moved the weights (parity is not trivially met).
  auto initial = make_model(f64);
  initial->build_if_possible();
  EXPECT_GT(rel_diff(a[0], initial->weights()[0]), 1e-4);
}

}  // namespace

TEST(DataParallel, CommunicatorCollectives) {
  dist::Communicator& c = g_strategy->communicator();
  const int N = c.size(), r = c.rank();
  std::vector<double> v{double(r), 1.0};
  c.allreduce(v.data(), 2, DType::f64, dist::ReduceOp::sum);
  EXPECT_EQ(v[0], N * (N - 1) / 2.0);
  EXPECT_EQ(v[1], N);
  int64_t mx = r;
  c.allreduce(&mx, 1, DType::i64, dist::ReduceOp::max);
  EXPECT_EQ(mx, N - 1);
  Tensor t = Tensor::full({4}, r == 0 ? 3.5 : -1.0);
  c.broadcast(t, 0);
  EXPECT_EQ(t.to_vector<float>(), std::vector<float>(4, 3.5f));
  Tensor g = c.allgather(Tensor::full({2}, double(r), DType::f64));
  ASSERT_EQ(g.shape(), Shape({N, 2}));
  for (int i = 0; i < N; ++i) EXPECT_EQ(g.to_vector<double>()[size_t(2 * i)], i);
  c.barrier();
}

TEST(DataParallel, SgdFloat64MatchesOneProcessWithNTimesTheBatch) {
  const int N = g_strategy->num_replicas_in_sync();
  check_parity(true, "sgd", 10 * N * 4, 4, Source::tensors, 1e-12);
}
TEST(DataParallel, AdamFloat64MatchesOneProcessWithNTimesTheBatch) {
  const int N = g_strategy->num_replicas_in_sync();
  check_parity(true, "adam", 10 * N * 4, 4, Source::tensors, 1e-12);
}
TEST(DataParallel, SgdFloat32MatchesOneProcessWithNTimesTheBatch) {
  const int N = g_strategy->num_replicas_in_sync();
  check_parity(false, "sgd", 10 * N * 4, 4, Source::tensors, 1e-6);
}
TEST(DataParallel, AdamFloat32MatchesOneProcessWithNTimesTheBatch) {
  const int N = g_strategy->num_replicas_in_sync();
  check_parity(false, "adam", 10 * N * 4, 4, Source::tensors, 1e-6);
}
// The last global batch has 1 row: one replica trains on it, the others join (contribute nothing, apply the
// same averaged update).
TEST(DataParallel, UnequalLastBatchJoinsAndStillMatches) {
  const int N = g_strategy->num_replicas_in_sync();
  check_parity(true, "adam", 10 * N * 4 + 1, 4, Source::tensors, 1e-12);
  check_parity(true, "sgd", 10 * N * 4 + 3, 4, Source::tensors, 1e-12);
}
TEST(DataParallel, DatasetShardsMatchOneProcess) {
  const int N = g_strategy->num_replicas_in_sync();
  check_parity(true, "adam", 10 * N * 4, 4, Source::dataset, 1e-12);
  // 10N + 2 batches, the last of one row: with N > 2 some replicas have no batch in the last step and join.
  check_parity(true, "sgd", 10 * N * 4 + 4 + 1, 4, Source::dataset, 1e-12);
}

TEST(DataParallel, ShardsAreDisjointCompleteAndReshuffledAlike) {
  dist::Communicator& c = g_strategy->communicator();
  const int N = c.size();
  for (int64_t n : {103, 64, 7, 1}) {
    for (int64_t B : {5, 4, 1}) {
      Tensor x = Tensor::arange(n).to(DType::f64).reshape({n, 1});
      detail::TensorAdapter ad({x}, {x}, Tensor(), B, true);
      ad.shard(c.rank(), N, 1234);
      std::vector<std::vector<double>> passes;
      for (int pass = 0; pass < 3; ++pass) {
        // Per step, each replica's rows padded to B with -1, gathered: the global order of the pass.
        std::vector<double> global;
        for (int64_t s = 0; s < ad.num_batches(); ++s) {
          detail::Batch b;
          ad.next(b);
          std::vector<double> mine(size_t(B), -1.0);
          if (!b.xs.empty()) {
            auto v = b.xs[0].to_vector<double>();
            ASSERT_LE(int64_t(v.size()), B);
            std::copy(v.begin(), v.end(), mine.begin());
          }
          Tensor all = c.allgather(Tensor::from_vector(mine));
          for (double id : all.to_vector<double>())
            if (id >= 0) global.push_back(id);
        }
        std::multiset<double> seen(global.begin(), global.end());
        ASSERT_EQ(int64_t(seen.size()), n) << "n=" << n << " B=" << B << " pass " << pass;
        for (int64_t i = 0; i < n; ++i) EXPECT_EQ(seen.count(double(i)), 1u) << "sample " << i;
        passes.push_back(global);
      }
      if (n > 10) {
        EXPECT_NE(passes[0], passes[1]) << "the order is reshuffled each pass";
        EXPECT_NE(passes[1], passes[2]);
      }
      // Every replica computed the same global order (they shuffle alike): compare with the chief's.
      Tensor order = Tensor::from_vector(passes[1]);
      expect_identical_across_replicas({order});
    }
  }
}

TEST(DataParallel, OnlyTheChiefWritesLogsAndEveryReplicaRunsOtherCallbacks) {
  dist::Communicator& c = g_strategy->communicator();
  const auto dir = std::filesystem::temp_directory_path() / "nabla_dist_test";
  std::filesystem::create_directories(dir);
  const auto csv = dir / ("log_rank" + std::to_string(c.rank()) + ".csv");
  std::filesystem::remove(csv);
  std::shared_ptr<Sequential> m;
  {
    auto scope = g_strategy->scope();
    m = make_model(false);
    m->compile("sgd", "mse");
  }
  int epochs_seen = 0;
  auto counter = std::make_shared<callbacks::LambdaCallback>();
  counter->epoch_end = [&](int, callbacks::Logs&) { ++epochs_seen; };
  Data d = make_data(64, false);
  m->fit(d.x, d.y, {.epochs = 2, .batch_size = 8, .verbose = 0,
                    .callbacks = {counter, std::make_shared<callbacks::CSVLogger>(csv.string())}});
  EXPECT_EQ(epochs_seen, 2);
  EXPECT_EQ(std::filesystem::exists(csv), c.rank() == 0) << csv;
  c.barrier();
  std::filesystem::remove(csv);
}

// A callback on one replica stops training (TerminateOnNaN, EarlyStopping): every replica stops after the same
// step instead of the others waiting for it in the next allreduce.
TEST(DataParallel, OneReplicaStoppingStopsAllAtTheSameStep) {
  dist::Communicator& c = g_strategy->communicator();
  std::shared_ptr<Sequential> m;
  {
    auto scope = g_strategy->scope();
    m = make_model(false);
    m->compile("sgd", "mse");
  }
  int64_t steps_run = 0;
  auto cb = std::make_shared<callbacks::LambdaCallback>();
  cb->batch_end = [&](int64_t step, callbacks::Logs&) {
    ++steps_run;
    if (c.rank() == c.size() - 1 && step == 3) m->stop_training = true;
  };
  Data d = make_data(64 * c.size(), false);
  History h = m->fit(d.x, d.y, {.epochs = 3, .batch_size = 4, .verbose = 0, .callbacks = {cb}});
  EXPECT_EQ(steps_run, 4);
  EXPECT_EQ(h.epoch.size(), 1u);
  expect_identical_across_replicas(m->weights());
}

namespace {

// An in-process communicator of one rank that records when each allreduce was started.
struct RecordingCommunicator : dist::Communicator {
  struct Call {
    int64_t count;
    bool during_backward;
  };
  std::vector<Call> calls;
  struct Done : dist::Work {
    std::chrono::steady_clock::time_point t = std::chrono::steady_clock::now();
    void wait() override {}
    bool done() const override { return true; }
    std::chrono::steady_clock::time_point started_at() const override { return t; }
    std::chrono::steady_clock::time_point finished_at() const override { return t; }
  };
  int rank() const override { return 0; }
  int size() const override { return 1; }
  dist::WorkPtr allreduce_async(void*, int64_t count, DType dtype, dist::ReduceOp) override {
    if (dtype == DType::f32) calls.push_back({count, autograd::in_backward()});  // f64: fit's own sums
    return std::make_shared<Done>();
  }
  void broadcast(void*, int64_t, int) override {}
  void allgather(const void* send, int64_t bytes, void* recv) override { std::memcpy(recv, send, size_t(bytes)); }
  void barrier() override {}
};

}  // namespace

// Buckets fill in reverse parameter order and each starts its allreduce from inside backward (from the
// gradient-ready hook), not after it: this is what lets communication overlap the rest of backward.
TEST(DataParallel, BucketsStartDuringBackwardInReverseOrder) {
  auto comm = std::make_unique<RecordingCommunicator>();
  RecordingCommunicator* rec = comm.get();
  dist::MultiWorkerMirroredStrategy local(std::move(comm), {.bucket_bytes = 4096});
  auto scope = local.scope();
  // kernels 32x64 (8 KB), 64x64 (16 KB), 64x4 (1 KB); biases 256, 256, 16 bytes.
  Sequential m({layers::Dense(64, "relu", {.input_shape = {32}}), layers::Dense(64, "relu"), layers::Dense(4)});
  m.compile("sgd", "mse");
  m.fit(Tensor::normal({16, 32}), Tensor::normal({16, 4}), {.epochs = 1, .batch_size = 16, .verbose = 0});
  // Reverse order, greedy up to 4 KB: [bias2, kernel2, bias1] (340 floats), [kernel1], [bias0], [kernel0].
  ASSERT_EQ(rec->calls.size(), 4u);
  EXPECT_EQ(rec->calls[0].count, 4 + 64 * 4 + 64);
  EXPECT_EQ(rec->calls[1].count, 64 * 64);
  EXPECT_EQ(rec->calls[2].count, 64);
  EXPECT_EQ(rec->calls[3].count, 32 * 64);
  for (const auto& c : rec->calls) EXPECT_TRUE(c.during_backward);
  EXPECT_EQ(local.overlap_stats().steps, 1);
  EXPECT_EQ(local.overlap_stats().buckets, 4);
}

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // Every rank reports its own failures (the strategy would otherwise silence workers' std::cout).
  dist::MultiWorkerMirroredStrategy strategy({.quiet_workers = false, .timeout_seconds = 120});
  g_strategy = &strategy;
  int rc = RUN_ALL_TESTS();
  // The job fails if any rank failed.
  int64_t any = rc != 0;
  strategy.communicator().allreduce(&any, 1, DType::i64, dist::ReduceOp::max);
  return any ? 1 : 0;
}
