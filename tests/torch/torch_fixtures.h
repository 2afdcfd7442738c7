#pragma once
// Access to the fixtures that make_fixtures.py computed with PyTorch (see that script for the format).
#include <nlohmann/json.hpp>

#include <string>

#include "test_util.h"

namespace nabla::torch_check {

using nlohmann::json;

// The named case. Throws (so the test fails with the message) when the fixture file is missing, holds the
// generator's error (PyTorch not importable), or lacks the case.
const json& load_case(const std::string& name);

// case[key] as a tensor of the given dtype (float fixtures hold float32-representable values).
Tensor tensor(const json& c, const std::string& key, DType dtype = f64);
double number(const json& c, const std::string& key);

// Expects `actual` to match case[key] elementwise: |a - e| <= tol (|e| + max|e|), with tol 1e-5 for float32
// (relative to each value and to the tensor's scale, so that entries near 0 are not held to a bar float32
// cannot reach) and 1e-10 for float64.
void expect_matches(const Tensor& actual, const json& c, const std::string& key);
void expect_matches(const Tensor& actual, const Tensor& expected, const std::string& what);

}  // namespace nabla::torch_check
