#include "nabla/autograd/gradcheck.h"

#include <cmath>
#include <sstream>

#include "nabla/autograd/grad_mode.h"
#include "nabla/core/random.h"
#include "nabla/ops/math.h"

namespace nabla {

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn, std::vector<Tensor> inputs,
                          double eps, double atol, double rtol) {
  GradcheckResult res;
  for (Tensor& t : inputs) {
    if (is_floating(t.dtype()) && t.requires_grad()) {
      t = t.contiguous().clone().requires_grad_(true);
    }
  }
  Tensor out = fn(inputs);
  Generator gen(1234);
  Tensor w = Tensor::uniform(out.shape(), -1, 1, out.dtype(), &gen);
  Tensor scalar = (out * w).sum();
  for (Tensor& t : inputs)
    if (t.requires_grad()) t.zero_grad();
  scalar.backward();

  auto eval = [&]() {
    NoGradGuard ng;
    return (fn(inputs) * w).sum().item();
  };
  for (size_t k = 0; k < inputs.size(); ++k) {
    Tensor& t = inputs[k];
    if (!t.requires_grad()) continue;
    Tensor analytic = t.grad().defined() ? t.grad().to(f64).contiguous() : Tensor::zeros(t.shape(), f64);
    const double* ap = analytic.data<double>();
    NABLA_DISPATCH_FLOAT(t.dtype(), T, {
      T* p = t.data<T>();
      for (int64_t i = 0; i < t.numel(); ++i) {
        T orig = p[i];
        p[i] = T(orig + eps);
        double plus = eval();
        p[i] = T(orig - eps);
        double minus = eval();
        p[i] = orig;
        double numeric = (plus - minus) / (2 * eps);
        double abs_err = std::abs(numeric - ap[i]);
        double rel_err = abs_err / std::max(std::abs(numeric), 1e-12);
        res.max_abs_error = std::max(res.max_abs_error, abs_err);
        if (abs_err > atol) res.max_rel_error = std::max(res.max_rel_error, rel_err);
        if (abs_err > atol + rtol * std::abs(numeric) && res.ok) {
          res.ok = false;
          std::ostringstream os;
          os << "input " << k << " " << t.shape().str() << " index " << i << ": analytic " << ap[i] << ", numeric "
             << numeric;
          res.message = os.str();
        }
      }
    });
  }
  if (res.ok) res.message = "ok";
  return res;
}

}  // namespace nabla
