// Times the three things the tf.data-style pipeline (nabla/data) is meant to deliver:
//   (a) a costly map scales with num_parallel_calls (1, 2, AUTOTUNE) up to the core count;
//   (b) training the reference MNIST MLP from a Dataset (shuffle(10000).batch(32).prefetch(AUTOTUNE)) costs about
//       what training from in-memory tensors costs;
//   (c) prefetch hides input latency: with a per-batch input delay equal to one training step, a prefetched
//       pipeline runs close to the compute-only time.
// Costs are busy-waits on a steady clock, not sleeps, so that they occupy a core as real work would (a sleeping
// map would "scale" past the core count and say nothing about the thread pool).
// Prints a table and one JSON line. Threads: NABLA_NUM_THREADS.
// Usage: pipeline_bench [--repeats N] [--quick]
#include <algorithm>
#include <cstdio>

#include "bench_util.h"
#include <nabla/data/autotune.h>
using namespace nabla;

namespace {

struct Options {
  int repeats = 3;
  bool quick = false;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "--repeats" && i + 1 < argc) {
      o.repeats = std::max(1, std::atoi(argv[++i]));
    } else if (s == "--quick") {
      o.quick = true;
    } else {
      std::cerr << "usage: pipeline_bench [--repeats N] [--quick]\n";
      std::exit(2);
    }
  }
  return o;
}

// Spins rather than sleeps: the point is to hold a core for the given time.
void busy_wait(double seconds) {
  auto until = bench::Clock::now() + std::chrono::duration_cast<bench::Clock::duration>(
                                         std::chrono::duration<double>(seconds));
  while (bench::Clock::now() < until) {
  }
}

// Seconds to drain one pass of ds; the consumer spins consume_seconds per element to stand in for a train step.
double drain(const data::Dataset& ds, double consume_seconds = 0) {
  auto t0 = bench::Clock::now();
  auto it = ds.make_iterator();
  while (auto e = it.next()) busy_wait(consume_seconds);
  return bench::seconds_since(t0);
}

}  // namespace

int main(int argc, char** argv) {
  Options opt = parse(argc, argv);
  manual_seed(0);
  const int threads = get_num_threads();
  nlohmann::json out = {{"bench", "pipeline"}, {"threads", threads}, {"repeats", opt.repeats}, {"quick", opt.quick}};

  // ---- (a) parallel map ----
  const int64_t map_elements = opt.quick ? 50 : 200;
  const double map_cost = 1e-3;
  struct MapRow {
    std::string name;
    int64_t calls;
    double rate = 0;
  };
  std::vector<MapRow> map_rows = {{"1", 1}, {"2", 2}, {"AUTOTUNE", data::AUTOTUNE}};
  {
    std::vector<std::vector<double>> secs(map_rows.size());
    // Alternating the settings within each repeat spreads the shared machine's load changes over all of them.
    for (int r = 0; r < opt.repeats; ++r)
      for (size_t k = 0; k < map_rows.size(); ++k) {
        auto ds = data::Dataset::range(map_elements).map(
            [map_cost](data::Element e) {
              busy_wait(map_cost);
              return e;
            },
            map_rows[k].calls);
        secs[k].push_back(drain(ds));
      }
    for (size_t k = 0; k < map_rows.size(); ++k) map_rows[k].rate = double(map_elements) / bench::median(secs[k]);
  }
  std::printf("(a) map of %.1f ms/element over %lld elements, %d pool threads (AUTOTUNE max %lld)\n",
              map_cost * 1e3, static_cast<long long>(map_elements), threads,
              static_cast<long long>(data::autotune_max_parallelism()));
  std::printf("    %-22s %12s %10s\n", "num_parallel_calls", "elements/s", "speedup");
  nlohmann::json map_json = nlohmann::json::object();
  for (const auto& row : map_rows) {
    double speedup = row.rate / map_rows[0].rate;
    std::printf("    %-22s %12.1f %9.2fx\n", row.name.c_str(), row.rate, speedup);
    map_json[row.name] = {{"elements_per_s", row.rate}, {"speedup_vs_1", speedup}};
  }
  out["map"] = {{"ms_per_element", map_cost * 1e3},
                {"elements", map_elements},
                {"autotune_max", data::autotune_max_parallelism()},
                {"by_calls", map_json}};

  // ---- (b) fit from tensors vs from a Dataset ----
  auto t_load = bench::Clock::now();
  auto [train, test] = datasets::mnist::load_data();
  Tensor x = train.images.to(f32) / 255.0;
  Tensor y = train.labels;
  if (opt.quick) {
    x = x.slice(0, 0, 10000).contiguous();
    y = y.slice(0, 0, 10000).contiguous();
  }
  double load_seconds = bench::seconds_since(t_load);
  const int64_t n = x.size(0), batch = 32, steps = (n + batch - 1) / batch;

  std::vector<double> fit_tensor, fit_dataset;
  for (int r = 0; r < opt.repeats; ++r) {
    // Alternating, for the same reason as above; whole fit() calls are timed so that each side pays its own
    // per-epoch setup (the index shuffle; filling the 10000-element shuffle buffer). A fresh model per run keeps
    // the runs independent (a second epoch on a trained model would not cost more, but this rules out drift).
    {
      auto model = bench::make_mnist_mlp();
      auto t0 = bench::Clock::now();
      model->fit(x, y, {.epochs = 1, .batch_size = batch, .verbose = 0, .shuffle = true});
      fit_tensor.push_back(bench::seconds_since(t0));
    }
    {
      auto model = bench::make_mnist_mlp();
      auto ds = data::Dataset::from_tensor_slices(x, y).shuffle(10000).batch(batch).prefetch(data::AUTOTUNE);
      auto t0 = bench::Clock::now();
      model->fit(ds, {.epochs = 1, .verbose = 0});
      fit_dataset.push_back(bench::seconds_since(t0));
    }
  }
  double sec_tensor = bench::median(fit_tensor), sec_dataset = bench::median(fit_dataset);
  double step_seconds = sec_tensor / double(steps);
  std::printf("\n(b) reference MNIST MLP, 1 epoch of %lld samples (%lld steps of %lld), median of %d\n",
              static_cast<long long>(n), static_cast<long long>(steps), static_cast<long long>(batch), opt.repeats);
  std::printf("    %-22s %12.3f s/epoch\n", "fit(x, y)", sec_tensor);
  std::printf("    %-22s %12.3f s/epoch\n", "fit(dataset)", sec_dataset);
  std::printf("    %-22s %12.3f\n", "dataset / tensors", sec_dataset / sec_tensor);
  out["fit"] = {{"samples", n},
                {"steps", steps},
                {"tensor_seconds", fit_tensor},
                {"dataset_seconds", fit_dataset},
                {"tensor_median_s", sec_tensor},
                {"dataset_median_s", sec_dataset},
                {"ratio_dataset_over_tensor", sec_dataset / sec_tensor},
                {"load_seconds", load_seconds}};

  // ---- (c) prefetch hiding an input latency of one step per batch ----
  // The step time measured in (b) makes the input delay and the consumer's work equal, the case where perfect
  // overlap halves the time of the unprefetched pipeline.
  const int64_t latency_batches = opt.quick ? 100 : 300;
  auto base = data::Dataset::from_tensor_slices(x, y).take(latency_batches * batch).batch(batch);
  auto slow = base.map([step_seconds](data::Element e) {
    busy_wait(step_seconds);
    return e;
  });
  std::vector<double> t_compute, t_noprefetch, t_prefetch;
  for (int r = 0; r < opt.repeats; ++r) {
    t_compute.push_back(drain(base, step_seconds));
    t_noprefetch.push_back(drain(slow, step_seconds));
    t_prefetch.push_back(drain(slow.prefetch(data::AUTOTUNE), step_seconds));
  }
  double c = bench::median(t_compute), np = bench::median(t_noprefetch), p = bench::median(t_prefetch);
  // Guarded: if the delay were lost in noise (np ~ c) the fraction means nothing, and dividing by ~0 would hide that.
  double hidden = np - c > 1e-9 ? (np - p) / (np - c) : 0.0;
  std::printf("\n(c) input latency = step time = %.3f ms per batch, %lld batches, median of %d\n",
              step_seconds * 1e3, static_cast<long long>(latency_batches), opt.repeats);
  std::printf("    %-22s %12.3f s\n", "compute only", c);
  std::printf("    %-22s %12.3f s\n", "latency, no prefetch", np);
  std::printf("    %-22s %12.3f s\n", "latency, prefetch", p);
  std::printf("    %-22s %12.1f %%\n", "latency hidden", hidden * 100);
  out["prefetch"] = {{"step_ms", step_seconds * 1e3},
                     {"batches", latency_batches},
                     {"compute_only_s", c},
                     {"no_prefetch_s", np},
                     {"prefetch_s", p},
                     {"fraction_hidden", hidden}};

  std::cout << "\n" << out.dump() << std::endl;
}
