#pragma once
// check_numerics (TensorFlow's tf.debugging.check_numerics): a differentiable pass-through that throws a
// NumericsError naming what went wrong when its input (or, in backward, its gradient) holds NaN or Inf.
// summarize() is the statistics line every numerics report in debug/ uses.
#include <cstdint>
#include <string>

#include "nabla/core/error.h"
#include "nabla/core/tensor.h"

namespace nabla::debug {

// Thrown by every numerics check. what() is the full report; the fields let tools and tests read its parts.
struct NumericsError : Error {
  NumericsError(const std::string& what, std::string op_, std::string layer_path_, std::string phase_)
      : Error(what), op(std::move(op_)), layer_path(std::move(layer_path_)), phase(std::move(phase_)) {}
  std::string op;          // op name ("log", "matmul"), or "check_numerics" / "optimizer:<name>"
  std::string layer_path;  // "sequential/dense_1"; empty outside any layer
  std::string phase;       // "forward", "backward", "optimizer" or "check"
  std::string dump_path;   // set when a NaN dump of the failing fit step was written
};

// Counts of non-finite values and statistics of the finite ones.
struct TensorSummary {
  int64_t numel = 0;
  int64_t nan = 0, pos_inf = 0, neg_inf = 0;
  int64_t first_bad = -1;  // flat (row-major) index of the first NaN/Inf
  int64_t finite = 0;
  double min = 0, max = 0, mean = 0;  // over finite values (0 when there are none)
  bool ok() const { return nan == 0 && pos_inf == 0 && neg_inf == 0; }
  // "NaN: 3, +Inf: 0, -Inf: 1, first bad index: 17 [0, 17]; finite: 60 values in [-1.2, 3.4], mean 0.1"
  std::string str(const Shape& shape) const;
};

// The fast test every check runs first: a branch-free pass over the exponent bits, which the compiler vectorizes
// (a floating-point reduction would not vectorize without -ffast-math, which would also break isnan).
bool all_finite(const Tensor& t);
// Integer tensors are always finite (their statistics are still computed).
TensorSummary summarize(const Tensor& t);
// "[32, 784] float32 <summary>".
std::string describe(const Tensor& t);
// The multi-dimensional index of a flat row-major index, as "[i, j, ...]".
std::string unravel(int64_t flat, const Shape& shape);

// Returns t unchanged (sharing storage, differentiable); throws NumericsError if t, or its gradient in backward,
// holds NaN or Inf. The message leads the report.
Tensor check_numerics(const Tensor& t, const std::string& message);

}  // namespace nabla::debug
