#include "nabla/core/random.h"

namespace nabla {

Generator& default_generator() {
  static Generator g;
  return g;
}

void manual_seed(uint64_t seed) { default_generator().seed_(seed); }

}  // namespace nabla
