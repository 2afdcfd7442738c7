// Cost of check mode on the reference MNIST MLP training step (Flatten -> Dense(128, relu) -> Dropout(0.2) ->
// Dense(10, softmax), Adam, batch 32), timed with train_on_batch over the first batches of MNIST:
//   off        check mode never enabled (the default)
//   off-after  enabled once, then disabled: the hooks must be gone again
//   on         every op's output, every gradient, the parameters and the Adam state after each step checked
//   on+dump    as "on" inside fit, which also snapshots each step for the NaN dump (fit's per-step copy)
// Rounds alternate the modes so that machine load affects them alike; the median per mode is reported.
// Usage: check_numerics_bench [--steps N] [--rounds R]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>

#include <nabla/nabla.h>
using namespace nabla;

int main(int argc, char** argv) {
  int64_t steps = 300;
  int rounds = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--steps") steps = std::atoll(argv[i + 1]);
    else if (a == "--rounds") rounds = std::atoi(argv[i + 1]);
  }
  auto [train, test] = datasets::mnist::load_data();
  Tensor x = slice(train.images, 0, 0, steps * 32).to(f32) / 255.0;
  Tensor y = slice(train.labels, 0, 0, steps * 32);
  manual_seed(0);
  Sequential model({layers::Flatten({28, 28}), layers::Dense(128, "relu"), layers::Dropout(0.2),
                    layers::Dense(10, "softmax")});
  model.compile("adam", "sparse_categorical_crossentropy", {"accuracy"});
  debug::set_fit_data_checks(false);
  model.train_on_batch(slice(x, 0, 0, 32), slice(y, 0, 0, 32));  // warm-up: builds, allocates caches

  using clock = std::chrono::steady_clock;
  auto run_steps = [&] {
    auto t0 = clock::now();
    for (int64_t s = 0; s < steps; ++s) model.train_on_batch(slice(x, 0, s * 32, s * 32 + 32), slice(y, 0, s * 32, s * 32 + 32));
    return std::chrono::duration<double, std::milli>(clock::now() - t0).count() / double(steps);
  };
  auto run_fit = [&] {
    auto t0 = clock::now();
    model.fit(x, y, {.epochs = 1, .batch_size = 32, .verbose = 0, .shuffle = false});
    return std::chrono::duration<double, std::milli>(clock::now() - t0).count() / double(steps);
  };
  std::map<std::string, std::vector<double>> ms;
  for (int r = 0; r < rounds; ++r) {
    ms["off"].push_back(run_steps());
    {
      debug::NumericsOptions o;
      o.dump_on_failure = false;
      debug::CheckNumericsGuard g(o);
      ms["on"].push_back(run_steps());
    }
    ms["off-after"].push_back(run_steps());
    ms["fit off"].push_back(run_fit());
    {
      debug::CheckNumericsGuard g;
      ms["fit on+dump"].push_back(run_fit());
    }
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  double off = median(ms["off"]), fit_off = median(ms["fit off"]);
  std::printf("check_numerics_bench: MNIST MLP, batch 32, %lld steps x %d rounds, median ms/step\n",
              (long long)steps, rounds);
  for (const char* k : {"off", "off-after", "on"})
    std::printf("  train_on_batch %-10s %.4f ms/step  (%+.1f%% vs off)\n", k, median(ms[k]),
                100 * (median(ms[k]) / off - 1));
  for (const char* k : {"fit off", "fit on+dump"})
    std::printf("  %-25s %.4f ms/step  (%+.1f%% vs fit off)\n", k, median(ms[k]), 100 * (median(ms[k]) / fit_off - 1));
}
