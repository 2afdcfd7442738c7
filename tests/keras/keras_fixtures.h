#pragma once
// The reference numbers that make_keras_fixtures.py computed with Keras 3 (committed as keras_fixtures.json):
// cases grouped by kind ("losses", "metrics", "optimizers", "activations"), each naming the Keras class or
// function, the arguments it was built with, its inputs and Keras's result.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <stdexcept>
#include <string>

#include "test_util.h"

namespace nabla::keras_check {

using nlohmann::json;

// The cases of one kind.
const json& cases(const std::string& kind);
// case[key] ({"shape": [...], "data": [...]}) as a tensor of the given dtype; key "": c itself.
Tensor tensor(const json& c, const std::string& key, DType dtype = f64);
// Expects actual to match expected: |a - e| <= rtol (|e| + max|e|). Keras rounds some results through float32,
// so float64 is held to 2e-6 relative and float32 to 2e-5.
void expect_keras_close(const Tensor& actual, const Tensor& expected, const std::string& what);

// kwargs accessors with defaults.
double num(const json& kwargs, const std::string& key, double dflt);
bool flag(const json& kwargs, const std::string& key, bool dflt);
std::string str(const json& kwargs, const std::string& key, const std::string& dflt);

// ---- definitions (header-only: the test folder builds only *_test.cpp files) ----


inline const json& cases(const std::string& kind) {
  static const json all = [] {
    std::string path = std::string(NABLA_TESTS_DIR) + "/keras/keras_fixtures.json";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("Keras fixture file " + path + " is missing (make_keras_fixtures.py writes it)");
    return json::parse(in);
  }();
  return all.at("cases").at(kind);
}

inline Tensor tensor(const json& c, const std::string& key, DType dtype) {
  if (!key.empty() && !c.contains(key)) throw std::runtime_error("fixture case has no entry '" + key + "'");
  const json& t = key.empty() ? c : c[key];
  Shape shape;
  for (const auto& d : t.at("shape")) shape.push_back(d.get<int64_t>());
  return Tensor::from_vector(t.at("data").get<std::vector<double>>(), shape).to(dtype);
}

inline void expect_keras_close(const Tensor& actual, const Tensor& expected, const std::string& what) {
  SCOPED_TRACE(what + " (" + dtype_name(actual.dtype()) + ")");
  ASSERT_TRUE(actual.defined()) << what;
  ASSERT_EQ(actual.shape(), expected.shape()) << what;
  double scale = 0;
  for (double v : expected.to_vector<double>()) scale = std::max(scale, std::abs(v));
  double tol = actual.dtype() == f32 ? 2e-5 : 2e-6;
  testing::expect_close(actual.to(f64), expected, tol * scale + 1e-12, tol);
}

inline double num(const json& kw, const std::string& key, double dflt) { return kw.contains(key) ? kw[key].get<double>() : dflt; }
inline bool flag(const json& kw, const std::string& key, bool dflt) { return kw.contains(key) ? kw[key].get<bool>() : dflt; }
inline std::string str(const json& kw, const std::string& key, const std::string& dflt) {
  return kw.contains(key) ? kw[key].get<std::string>() : dflt;
}

}  // namespace nabla::keras_check
