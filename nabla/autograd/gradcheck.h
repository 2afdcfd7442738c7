#pragma once
// Finite-difference gradient check (like torch.autograd.gradcheck). fn maps inputs to any tensor; the check
// compares d(sum(fn(x) * w))/dx from backward() against central differences, for a fixed random w.
// Use float64 inputs: float32 finite differences are too noisy to be a useful test.
#include <functional>
#include <string>
#include <vector>

#include "nabla/core/tensor.h"

namespace nabla {

struct GradcheckResult {
  bool ok = true;
  double max_abs_error = 0;
  double max_rel_error = 0;
  std::string message;  // the first mismatch, naming input, index, analytic and numeric values
};

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn, std::vector<Tensor> inputs,
                          double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3);

}  // namespace nabla
