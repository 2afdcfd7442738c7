#include "torch_fixtures.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace nabla::torch_check {
namespace {

std::string fixture_path() {
  // The environment wins so the binary can be pointed at a fixture file outside ctest.
  if (const char* p = std::getenv("NABLA_TORCH_FIXTURES")) return p;
  return NABLA_TORCH_FIXTURES;
}

const json& fixtures() {
  static const json all = [] {
    std::string path = fixture_path();
    std::ifstream in(path);
    if (!in)
      throw std::runtime_error("PyTorch fixture file " + path +
                               " is missing: ctest makes it with tests/torch/make_fixtures.py (test "
                               "'torch_make_fixtures'); to run this binary alone, run that script with --out " + path);
    json j = json::parse(in);
    if (j.contains("error")) throw std::runtime_error(j["error"].get<std::string>());
    return j;
  }();
  return all;
}

}  // namespace

const json& load_case(const std::string& name) {
  const json& cases = fixtures().at("cases");
  if (!cases.contains(name)) throw std::runtime_error("no case '" + name + "' in the PyTorch fixtures");
  return cases[name];
}

Tensor tensor(const json& c, const std::string& key, DType dtype) {
  if (!c.contains(key)) throw std::runtime_error("fixture case has no entry '" + key + "'");
  const json& t = c[key];
  Shape shape;
  for (const auto& d : t.at("shape")) shape.push_back(d.get<int64_t>());
  Tensor x = Tensor::from_vector(t.at("data").get<std::vector<double>>(), shape);
  return x.to(dtype);
}

double number(const json& c, const std::string& key) {
  if (!c.contains(key)) throw std::runtime_error("fixture case has no entry '" + key + "'");
  return c[key].get<double>();
}

void expect_matches(const Tensor& actual, const json& c, const std::string& key) {
  expect_matches(actual, tensor(c, key), key);
}

void expect_matches(const Tensor& actual, const Tensor& expected, const std::string& what) {
  SCOPED_TRACE(what + " (" + dtype_name(actual.dtype()) + ")");
  ASSERT_TRUE(actual.defined()) << what << ": nabla produced no tensor (missing gradient?)";
  double scale = 0;
  for (double v : expected.to_vector<double>()) scale = std::max(scale, std::abs(v));
  double tol = actual.dtype() == f32 ? 1e-5 : 1e-10;
  testing::expect_close(actual.reshape(expected.shape()).to(f64), expected, tol * scale, tol);
}

}  // namespace nabla::torch_check
