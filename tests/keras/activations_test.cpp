// Activations against Keras 3's numbers (keras_fixtures.json), each with a gradient check, and usable by name in
// Dense and Activation.
#include "keras_fixtures.h"
#include "nabla/nn/advanced_activations.h"

using namespace nabla;
using namespace nabla::keras_check;

namespace {

Tensor apply(const std::string& name, const json& kw, const Tensor& x) {
  if (name == "relu" && !kw.empty()) {
    ReluOptions o;
    o.negative_slope = num(kw, "negative_slope", 0);
    if (kw.contains("max_value")) o.max_value = kw["max_value"].get<double>();
    o.threshold = num(kw, "threshold", 0);
    return relu(x, o);
  }
  if (name == "leaky_relu" && !kw.empty()) return leaky_relu(x, num(kw, "negative_slope", 0.2));
  if (name == "elu" && !kw.empty()) return elu(x, num(kw, "alpha", 1.0));
  if (name == "celu" && !kw.empty()) return celu(x, num(kw, "alpha", 1.0));
  if (name == "gelu" && !kw.empty()) return gelu(x, flag(kw, "approximate", false));
  EXPECT_TRUE(kw.empty()) << name << " ignores its arguments";
  return activation(x, name);
}

}  // namespace

TEST(KerasActivations, MatchKeras3) {
  int n = 0;
  for (const json& c : cases("activations")) {
    const std::string name = c["name"];
    SCOPED_TRACE(name + " " + c["kwargs"].dump());
    for (DType dt : {f64, f32}) expect_keras_close(apply(name, c["kwargs"], tensor(c, "x", dt)), tensor(c, "y"), name);
    ++n;
  }
  EXPECT_GE(n, 34);
}

TEST(KerasActivations, GradientsCheck) {
  for (const json& c : cases("activations")) {
    const std::string name = c["name"];
    if (name == "linear") continue;
    SCOPED_TRACE(name + " " + c["kwargs"].dump());
    // Inputs away from the kinks at 0, +-1, +-3, the thresholds 1.2/0.55/-0.7/-1.1 and max 4.5: the fixture's x.
    const json& kw = c["kwargs"];
    Tensor x0 = tensor(c, "x", f64);
    nabla::testing::expect_gradcheck(
        [&](const std::vector<Tensor>& in) { return sum(apply(name, kw, in[0] + x0) * (in[1] * 100.0)); },
        {x0.shape(), x0.shape()}, -0.01, 0.01);
  }
}

TEST(KerasActivations, UsableByNameInLayers) {
  for (const char* a : {"relu6", "selu", "gelu", "silu", "swish", "hard_sigmoid", "hard_silu", "hard_swish",
                        "softsign", "exponential", "mish", "log_sigmoid", "celu", "hard_tanh", "log_softmax"}) {
    SCOPED_TRACE(a);
    Tensor x = Tensor::normal({2, 3}, 0, 1, f32, nullptr);
    auto layer = layers::Activation(a);
    nabla::testing::expect_close((*layer)(x), activation(x, a), 0, 0);
    auto dense = layers::Dense(4, a);
    Tensor y = (*dense)(x);
    // Dense applies the named activation to x W + b.
    nabla::testing::expect_close(y, activation(matmul(x, dense->kernel()) + dense->bias(), a), 1e-6, 1e-6);
  }
  nabla::testing::expect_error_contains<Error>([] { layers::Dense(4, "swishy"); }, {"swishy"});
  nabla::testing::expect_error_contains<ValueError>([] { activation(Tensor::ones({1}), "swishy"); },
                                             {"swishy", "hard_silu", "mish"});
}

TEST(KerasActivations, AdvancedActivationLayers) {
  // Keras's layers with arguments; their numbers are the functions' (checked above against Keras).
  Tensor x = Tensor::from_vector<float>({-3, -1, -0.2f, 0.3f, 0.8f, 2, 7}, Shape{1, 7});
  nabla::testing::expect_close((*layers::ReLU(6.0, 0.1, 0.5))(x), relu(x, {.negative_slope = 0.1, .max_value = 6.0, .threshold = 0.5}), 0, 0);
  nabla::testing::expect_close((*layers::ReLU())(x), relu(x), 0, 0);
  // LeakyReLU's layer default is 0.3 (the function's 0.2).
  nabla::testing::expect_close((*layers::LeakyReLU())(x), leaky_relu(x, 0.3), 0, 0);
  nabla::testing::expect_close((*layers::ELU(0.5))(x), elu(x, 0.5), 0, 0);
  nabla::testing::expect_close((*layers::Softmax())(x), softmax(x), 0, 0);
  nabla::testing::expect_error_contains<Error>([] { layers::ReLU(std::nullopt, 0, -1); }, {"ReLU", "threshold"});
  nabla::testing::expect_error_contains<Error>([] { layers::Softmax(1); }, {"Softmax", "axis"});
}
