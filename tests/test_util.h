#pragma once
// Helpers shared by the tests.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "nabla/nabla.h"

namespace nabla::testing {

// Expects every element of a and b to agree within atol + rtol * |b|.
void expect_close(const Tensor& a, const Tensor& b, double atol = 1e-5, double rtol = 1e-5);
// Runs gradcheck in float64 on inputs made from the given shapes (uniform in [lo, hi]).
void expect_gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn, const std::vector<Shape>& shapes,
                      double lo = -1, double hi = 1, uint64_t seed = 7);
// A fresh temporary directory for this test (removed at process exit is not guaranteed).
std::string temp_dir();
// Expects fn to throw an exception whose what() contains every one of the substrings.
template <class E = std::exception, class F>
void expect_error_contains(F&& fn, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "expected an exception";
  } catch (const E& e) {
    std::string msg = e.what();
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "message: " << msg << "\nmissing: " << p;
  }
}

}  // namespace nabla::testing
