// This machine's float32 arithmetic ceiling: fused multiply-adds per second with every operand in registers, at the
// widest vectors cpu_isa() allows (AVX-512 or AVX2 + FMA; NABLA_MAX_CPU_ISA=AVX2 caps it as it caps nabla's
// kernels), on NABLA_NUM_THREADS threads at once (default 1). No memory traffic, no dependency stalls: nothing
// that trains a model computes faster, so a workload's FLOPs over this rate is a floor on its time that no
// implementation of the same arithmetic can beat (side_by_side.py prints W3's). Counts an FMA as 2 FLOPs.
// Prints one JSON object: isa, threads, gflops (all threads together), gflops_per_thread (each thread's, lowest
// first), seconds.
// Usage: fma_peak [--seconds S]   (default 1)
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <nabla/core/cpu_isa.h>
#include <nlohmann/json.hpp>

namespace {

// Twelve independent accumulators: two FMA ports times a 4-5 cycle latency needs at least ten in flight.
constexpr int kChains = 12;
constexpr long kInnerIterations = 1 << 16;

// Runs `rounds` x kInnerIterations x kChains FMAs of `lanes` floats; returns a value that depends on all of them,
// so the compiler keeps them (FMA is not reassociated without -ffast-math).
__attribute__((target("avx2,fma"))) float fma_chains_avx2(long rounds) {
  __m256 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm256_set1_ps(0.001f * float(i));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (long r = 0; r < rounds; ++r)
    for (long it = 0; it < kInnerIterations; ++it)
      for (int i = 0; i < kChains; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  __m256 sum = acc[0];
  for (int i = 1; i < kChains; ++i) sum = _mm256_add_ps(sum, acc[i]);
  return _mm256_cvtss_f32(sum);
}

__attribute__((target("avx512f"))) float fma_chains_avx512(long rounds) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = _mm512_set1_ps(0.001f * float(i));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (long r = 0; r < rounds; ++r)
    for (long it = 0; it < kInnerIterations; ++it)
      for (int i = 0; i < kChains; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  __m512 sum = acc[0];
  for (int i = 1; i < kChains; ++i) sum = _mm512_add_ps(sum, acc[i]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);  // not _mm512_reduce_add_ps: GCC 12 warns in its header
  float total = 0;
  for (float v : lanes) total += v;
  return total;
}

using Clock = std::chrono::steady_clock;

}  // namespace

int main(int argc, char** argv) {
  double seconds = 1.0;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else {
      std::cerr << "usage: fma_peak [--seconds S]\n";
      return 2;
    }
  }
  const char* env_threads = std::getenv("NABLA_NUM_THREADS");
  const int threads = std::max(1, env_threads ? std::atoi(env_threads) : 1);
  const nabla::CpuIsa isa = nabla::cpu_isa();
  if (isa == nabla::CpuIsa::portable) {
    std::cerr << "fma_peak: this CPU (or NABLA_MAX_CPU_ISA) allows neither AVX2 + FMA nor AVX-512\n";
    return 1;
  }
  const int lanes = isa == nabla::CpuIsa::avx512 ? 16 : 8;
  auto run = [isa](long rounds) { return isa == nabla::CpuIsa::avx512 ? fma_chains_avx512(rounds) : fma_chains_avx2(rounds); };

  // Size the rounds on one thread (which also brings the core to its clock), then run them on every thread at
  // once, each timing itself after all have started.
  auto t0 = Clock::now();
  volatile float sink = run(4);  // volatile: the result is kept, so the FMAs are
  const double round_seconds = std::chrono::duration<double>(Clock::now() - t0).count() / 4;
  const long rounds = std::max(1L, long(seconds / round_seconds));

  std::vector<double> per_thread(threads);
  std::vector<float> results(threads);
  std::atomic<int> started{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      started.fetch_add(1);
      while (started.load() < threads) {
      }
      auto start = Clock::now();
      results[t] = run(rounds);
      const double s = std::chrono::duration<double>(Clock::now() - start).count();
      per_thread[t] = 2.0 * double(lanes) * kChains * kInnerIterations * double(rounds) / s * 1e-9;
    });
  for (auto& th : pool) th.join();
  for (float r : results) sink = sink + r;
  std::sort(per_thread.begin(), per_thread.end());
  double total = 0;
  for (double g : per_thread) total += g;
  std::cout << nlohmann::json{{"isa", nabla::cpu_isa_name(isa)},
                              {"threads", threads},
                              {"gflops", total},
                              {"gflops_per_thread", per_thread},
                              {"seconds", seconds}}
                   .dump()
            << "\n";
}
