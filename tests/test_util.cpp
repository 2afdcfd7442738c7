#include "test_util.h"

#include <cmath>
#include <filesystem>
#include <random>

namespace nabla::testing {

void expect_close(const Tensor& a, const Tensor& b, double atol, double rtol) {
  ASSERT_EQ(a.shape(), b.shape()) << a.shape().str() << " vs " << b.shape().str();
  auto va = a.to_vector<double>(), vb = b.to_vector<double>();
  int bad = 0;
  for (size_t i = 0; i < va.size(); ++i) {
    if (!(std::abs(va[i] - vb[i]) <= atol + rtol * std::abs(vb[i]))) {
      if (bad++ < 5) ADD_FAILURE() << "index " << i << ": " << va[i] << " vs " << vb[i];
    }
  }
}

void expect_gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn, const std::vector<Shape>& shapes,
                      double lo, double hi, uint64_t seed) {
  Generator g(seed);
  std::vector<Tensor> inputs;
  for (const Shape& s : shapes) inputs.push_back(Tensor::uniform(s, lo, hi, f64, &g).requires_grad_());
  GradcheckResult r = gradcheck(fn, inputs);
  EXPECT_TRUE(r.ok) << r.message;
}

std::string temp_dir() {
  std::random_device rd;
  auto p = std::filesystem::temp_directory_path() / ("nabla_test_" + std::to_string(rd()));
  std::filesystem::create_directories(p);
  return p.string();
}

}  // namespace nabla::testing
