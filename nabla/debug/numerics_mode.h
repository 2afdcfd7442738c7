#pragma once
// Check mode: once enabled, every op's output (forward), every gradient an op's backward produces, and the
// parameters and optimizer state after every optimizer step are checked for NaN/Inf. The first failure throws
// a NumericsError naming the op, the layer path that ran it, the phase, and the statistics of its inputs; during
// fit it also writes a NaN dump of the failing step (see nan_dump.h). Installs itself through the observer
// hooks of autograd/, optim/ and train/; when disabled nothing is installed, so ops pay only the null-pointer
// test they already make.
#include <string>

#include "nabla/debug/check_numerics.h"

namespace nabla {
class Model;
}

namespace nabla::debug {

struct NumericsOptions {
  bool forward = true;
  bool backward = true;
  bool optimizer = true;        // parameters and optimizer state after each step
  bool dump_on_failure = true;  // during fit: write a NaN dump of the failing step
  std::string dump_dir;         // default: $TMPDIR (or /tmp) + "/nabla_nan_dumps"
};

void enable_check_numerics(const NumericsOptions& opts = {});
void disable_check_numerics();
bool check_numerics_enabled();

// Enables check mode for a scope and restores the previous state (on or off, and its options) after.
class CheckNumericsGuard {
 public:
  explicit CheckNumericsGuard(const NumericsOptions& opts = {});
  ~CheckNumericsGuard();
  CheckNumericsGuard(const CheckNumericsGuard&) = delete;
  CheckNumericsGuard& operator=(const CheckNumericsGuard&) = delete;

 private:
  bool was_enabled_;
  NumericsOptions prev_;
};

// Lets optimizer reports name the model's parameters ("sequential/dense/kernel") outside fit (fit does this
// itself). Names are kept for the model's current weight tensors.
void name_parameters(const Model& model);

}  // namespace nabla::debug
