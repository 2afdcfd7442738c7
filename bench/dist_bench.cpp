// Data-parallel figures (docs/distributed.md), run under mpirun by bench/dist_bench.sh:
//   allreduce  MB/s of an in-place float32 sum allreduce over this machine's transport, 1-100 MB
//   overlap    the fraction of gradient communication hidden behind backward (1 - time the step waited for it
//              after backward / time from the first bucket's start to the last one's end), for the reference MLP
//              and a wider one (784-1024-1024-10, 7.5 MB of gradients), with 4 MB buckets (overlap-small: 256 KB)
//   mlp        samples/s of fit on the reference MLP (--batch-size per process), one epoch after a warm-up epoch
// Rank 0 prints one JSON object per line.
// Usage: mpirun -np N dist_bench allreduce|overlap|overlap-small|mlp [--batch-size B]
#include <cstdio>
#include <string>

#include "bench_util.h"
#include "nabla/dist/multi_worker_mirrored_strategy.h"

using namespace nabla;

namespace {

void allreduce_bandwidth(dist::MultiWorkerMirroredStrategy& s) {
  dist::Communicator& c = s.communicator();
  for (double mb : {1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0}) {
    const int64_t n = int64_t(mb * 1e6 / 4);
    Tensor t = Tensor::ones({n});
    const int reps = mb <= 10 ? 20 : 5;
    c.allreduce(t);  // warm-up: buffers, shared-memory segments
    c.barrier();
    std::vector<double> times;
    for (int i = 0; i < reps; ++i) {
      auto t0 = bench::Clock::now();
      c.allreduce(t);
      times.push_back(bench::seconds_since(t0));
    }
    const double sec = bench::median(times), N = c.size();
    // algbw: message bytes / time; busbw: what each link carried (a ring moves 2(N-1)/N of them), NCCL's terms.
    if (c.rank() == 0)
      std::printf("{\"bench\": \"allreduce\", \"np\": %d, \"mb\": %.0f, \"seconds\": %.6f, \"algbw_mb_s\": %.1f, "
                  "\"busbw_mb_s\": %.1f}\n", c.size(), mb, sec, mb / sec, mb / sec * 2 * (N - 1) / N);
  }
}

std::unique_ptr<Sequential> wide_mlp() {
  auto m = std::make_unique<Sequential>(std::vector<nn::LayerPtr>{
      layers::Flatten({28, 28}), layers::Dense(1024, "relu"), layers::Dense(1024, "relu"), layers::Dense(10, "softmax")});
  m->compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  return m;
}

// Seconds of one epoch of fit (after a warm-up epoch), no callbacks.
double epoch_seconds(Model& m, const Tensor& x, const Tensor& y, int64_t batch, int64_t steps) {
  m.fit(x, y, {.epochs = 1, .batch_size = batch, .verbose = 0, .steps_per_epoch = std::min<int64_t>(steps, 50)});
  auto t0 = bench::Clock::now();
  m.fit(x, y, {.epochs = 1, .batch_size = batch, .verbose = 0, .steps_per_epoch = steps});
  return bench::seconds_since(t0);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc > 1 ? argv[1] : "allreduce";
  bench::Args args = bench::parse_args(argc - 1, argv + 1, "dist_bench", {.epochs = 1, .batch_size = 256});
  const int64_t bucket = what == "overlap-small" ? (256 << 10) : (4 << 20);
  dist::MultiWorkerMirroredStrategy strategy({.bucket_bytes = bucket});
  if (what == "allreduce") {
    allreduce_bandwidth(strategy);
    return 0;
  }
  manual_seed(args.seed);
  auto [train, test] = datasets::mnist::load_data();
  Tensor x = train.images.to(f32) / 255.0;
  auto scope = strategy.scope();
  const int N = strategy.num_replicas_in_sync();
  if (what == "mlp") {
    auto m = bench::make_mnist_mlp();
    const int64_t steps = (x.size(0) + args.batch_size * N - 1) / (args.batch_size * N);
    const double sec = epoch_seconds(*m, x, train.labels, args.batch_size, steps);
    if (strategy.replica_id() == 0)
      std::printf("{\"bench\": \"mlp\", \"np\": %d, \"batch_per_process\": %lld, \"global_batch\": %lld, "
                  "\"threads\": %d, \"epoch_seconds\": %.4f, \"samples_per_s\": %.0f}\n", N,
                  static_cast<long long>(args.batch_size), static_cast<long long>(args.batch_size * N),
                  get_num_threads(), sec, double(x.size(0)) / sec);
    return 0;
  }
  // overlap / overlap-small: the reference MLP and the wide one at this bucket size
  for (const char* name : {"mnist_mlp", "wide_mlp"}) {
    std::unique_ptr<Sequential> m = std::string(name) == "wide_mlp" ? wide_mlp() : bench::make_mnist_mlp();
    const int64_t steps = 100;
    m->fit(x, train.labels, {.epochs = 1, .batch_size = args.batch_size, .verbose = 0, .steps_per_epoch = 10});
    strategy.reset_overlap_stats();
    auto t0 = bench::Clock::now();
    m->fit(x, train.labels, {.epochs = 1, .batch_size = args.batch_size, .verbose = 0, .steps_per_epoch = steps});
    const double sec = bench::seconds_since(t0);
    const dist::OverlapStats& o = strategy.overlap_stats();
    if (strategy.replica_id() == 0)
      std::printf("{\"bench\": \"overlap\", \"np\": %d, \"model\": \"%s\", \"params\": %lld, \"bucket_mb\": %.2f, "
                  "\"buckets\": %lld, \"step_ms\": %.3f, \"comm_ms_per_step\": %.3f, \"exposed_ms_per_step\": %.3f, "
                  "\"hidden_fraction\": %.3f}\n", N, name, static_cast<long long>(m->count_params()),
                  double(bucket) / (1 << 20), static_cast<long long>(o.buckets), 1e3 * sec / double(steps),
                  1e3 * o.comm_seconds / double(o.steps), 1e3 * o.exposed_seconds / double(o.steps),
                  o.hidden_fraction());
  }
  return 0;
}
