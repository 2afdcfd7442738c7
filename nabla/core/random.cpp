#include "nabla/core/random.h"

#include <utility>

#include "nabla/core/tensor.h"

namespace nabla {

Generator& default_generator() {
  static Generator g;
  return g;
}

void manual_seed(uint64_t seed) { default_generator().seed_(seed); }

Tensor randperm(int64_t n, Generator& gen) {
  if (n < 0) throw ValueError(detail::concat("randperm: n must be non-negative, got ", n));
  Tensor t = Tensor::arange(n, i64);
  int64_t* p = t.data<int64_t>();
  // Fisher-Yates from the front: position i takes a uniform pick among the n - i values not yet placed.
  for (int64_t i = 0; i + 1 < n; ++i) std::swap(p[i], p[i + int64_t(gen.randint(uint64_t(n - i)))]);
  return t;
}

Tensor randperm(int64_t n, Generator* gen) { return randperm(n, gen ? *gen : default_generator()); }

}  // namespace nabla
