#pragma once
// Seeded, reproducible random numbers. Generator is xoshiro256** (fast, small state that can be saved and
// restored). counter_uniform() is a stateless counter-based stream (splitmix64 of key+index), which lets
// kernels fill large tensors in parallel with the same result at any thread count.
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>

namespace nabla {

class Tensor;

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Uniform float in [0, 1) from a key and an index.
inline float counter_uniform(uint64_t key, uint64_t index) {
  return float(splitmix64(key ^ (index * 0xD1B54A32D192ED03ull)) >> 40) * (1.0f / 16777216.0f);
}

// 32 random bits from a key and a 32-bit index: two rounds of the "lowbias32" integer hash (C. Wellons), keyed
// by the two halves of key. Only 32-bit multiplies, so a loop over indices vectorizes (AVX2 has no 64-bit
// multiply); dropout masks draw from it. Indices past 2^32 go into the key (see dropout).
inline uint32_t hash32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  return x ^ (x >> 16);
}
inline uint32_t counter_bits32(uint64_t key, uint32_t index) {
  return hash32(hash32(index ^ uint32_t(key)) + uint32_t(key >> 32));
}

class Generator {
 public:
  using State = std::array<uint64_t, 4>;
  explicit Generator(uint64_t seed = 0x6e61626c61ull) { seed_(seed); }
  void seed_(uint64_t seed) {
    uint64_t x = seed;
    for (auto& w : s_) w = x = splitmix64(x);
    has_spare_ = false;
  }
  uint64_t next_u64() {
    uint64_t result = rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  double uniform() { return double(next_u64() >> 11) * (1.0 / 9007199254740992.0); }  // [0, 1)
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Integer in [0, n), unbiased.
  uint64_t randint(uint64_t n) {
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t r;
    do r = next_u64(); while (r >= limit);
    return r % n;
  }
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = uniform() * 2 - 1;
      v = uniform() * 2 - 1;
      s = u * u + v * v;
    } while (s >= 1 || s == 0);
    double m = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * m;
    has_spare_ = true;
    return u * m;
  }
  State state() const { return s_; }
  void set_state(const State& s) {
    s_ = s;
    has_spare_ = false;
  }
  // The second normal of the last Marsaglia pair, when it has not been drawn yet: with state(), everything that
  // decides the next draws (an exact backup saves both).
  std::optional<double> spare_normal() const { return has_spare_ ? std::optional<double>(spare_) : std::nullopt; }
  void set_spare_normal(std::optional<double> v) {
    has_spare_ = v.has_value();
    spare_ = v.value_or(0.0);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  State s_{};
  bool has_spare_ = false;
  double spare_ = 0;
};

// The process-wide generator used when none is passed (weight init, dropout, shuffling).
Generator& default_generator();
// Seeds the default generator (like torch.manual_seed / tf.random.set_seed).
void manual_seed(uint64_t seed);

// torch.randperm: a random permutation of 0..n-1 as an int64 tensor [n] (Fisher-Yates on `gen`, or on the
// default generator), the same for the same seed.
Tensor randperm(int64_t n, Generator* gen = nullptr);
Tensor randperm(int64_t n, Generator& gen);

}  // namespace nabla
