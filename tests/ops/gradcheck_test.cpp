// Finite-difference gradient checks (float64) for every differentiable op in nabla/ops not covered by its own
// layer's tests (conv, pooling, batch norm and embedding have theirs in tests/nn).
#include "test_util.h"

namespace nabla {
namespace {

using V = std::vector<Tensor>;
using testing::expect_gradcheck;

TEST(Gradcheck, Arithmetic) {
  expect_gradcheck([](const V& v) { return v[0] + v[1]; }, {{3, 4}, {1, 4}});
  expect_gradcheck([](const V& v) { return v[0] - v[1]; }, {{3, 4}, {3, 1}});
  expect_gradcheck([](const V& v) { return v[0] * v[1]; }, {{2, 3}, {3}});
  expect_gradcheck([](const V& v) { return v[0] / v[1]; }, {{2, 3}, {2, 3}}, 0.5, 2.0);
  expect_gradcheck([](const V& v) { return -v[0]; }, {{5}});
  expect_gradcheck([](const V& v) { return 2.0 * v[0] - 1.0 + v[0] / 3.0; }, {{4}});
  expect_gradcheck([](const V& v) { return maximum(v[0], v[1]); }, {{3, 4}, {3, 4}});
  expect_gradcheck([](const V& v) { return minimum(v[0], v[1]); }, {{3, 4}, {4}});
}

TEST(Gradcheck, UnaryMath) {
  expect_gradcheck([](const V& v) { return exp(v[0]); }, {{3, 3}});
  expect_gradcheck([](const V& v) { return log(v[0]); }, {{3, 3}}, 0.5, 2.0);
  expect_gradcheck([](const V& v) { return sqrt(v[0]); }, {{3, 3}}, 0.5, 2.0);
  expect_gradcheck([](const V& v) { return abs(v[0]); }, {{3, 3}}, 0.1, 1.0);
  expect_gradcheck([](const V& v) { return abs(v[0]); }, {{3, 3}}, -1.0, -0.1);
  expect_gradcheck([](const V& v) { return square(v[0]); }, {{3, 3}});
  expect_gradcheck([](const V& v) { return pow(v[0], 2.5); }, {{3, 3}}, 0.5, 2.0);
  expect_gradcheck([](const V& v) { return clip(v[0], -0.5, 0.5); }, {{4, 4}});
}

TEST(Gradcheck, Activations) {
  // Inputs kept away from 0 where relu-like functions have a kink.
  expect_gradcheck([](const V& v) { return relu(v[0]); }, {{3, 4}}, 0.1, 1.0);
  expect_gradcheck([](const V& v) { return relu(v[0]); }, {{3, 4}}, -1.0, -0.1);
  expect_gradcheck([](const V& v) { return sigmoid(v[0] * 4.0); }, {{3, 4}});
  expect_gradcheck([](const V& v) { return tanh(v[0] * 2.0); }, {{3, 4}});
  expect_gradcheck([](const V& v) { return gelu(v[0] * 2.0); }, {{3, 4}});
  expect_gradcheck([](const V& v) { return leaky_relu(v[0], 0.2); }, {{3, 4}}, -1.0, -0.1);
  expect_gradcheck([](const V& v) { return elu(v[0]); }, {{3, 4}}, -1.0, -0.1);
  expect_gradcheck([](const V& v) { return softplus(v[0] * 3.0); }, {{3, 4}});
}

TEST(Gradcheck, CrossEntropies) {
  expect_gradcheck([](const V& v) { return softmax_cross_entropy(v[0], softmax(v[1])); }, {{3, 5}, {3, 5}});
  expect_gradcheck([](const V& v) { return sigmoid_cross_entropy(v[0] * 3.0, sigmoid(v[1])); }, {{4, 2}, {4, 2}});
}

TEST(Gradcheck, Dropout) {
  // The mask is fixed by the generator's seed, so re-running the function reproduces it.
  expect_gradcheck([](const V& v) {
    Generator g(11);
    return dropout(v[0], 0.3, true, &g);
  }, {{4, 6}});
}

TEST(Gradcheck, ShapeOps) {
  expect_gradcheck([](const V& v) { return reshape(v[0], {4, -1}); }, {{2, 6}});
  expect_gradcheck([](const V& v) { return permute(v[0], {2, 0, 1}); }, {{2, 3, 4}});
  expect_gradcheck([](const V& v) { return transpose(v[0], 0, 1) * 2.0; }, {{2, 3}});
  expect_gradcheck([](const V& v) { return slice(v[0], 1, 1, 3); }, {{2, 4}});
  expect_gradcheck([](const V& v) { return select(v[0], 0, 1); }, {{3, 2}});
  expect_gradcheck([](const V& v) { return unsqueeze(squeeze(v[0], 1), 0); }, {{3, 1, 2}});
  expect_gradcheck([](const V& v) { return stack({v[0], v[1]}, 1); }, {{2, 3}, {2, 3}});
  expect_gradcheck([](const V& v) { return take_rows(v[0], std::vector<int64_t>{2, 0, 2}); }, {{3, 2}});
}

TEST(Gradcheck, Reductions) {
  expect_gradcheck([](const V& v) { return sum(v[0], {1}); }, {{3, 4}});
  expect_gradcheck([](const V& v) { return sum(v[0], {0, 2}, true); }, {{2, 3, 2}});
  expect_gradcheck([](const V& v) { return mean(v[0]); }, {{3, 4}});
  expect_gradcheck([](const V& v) { return max(v[0], 0, true); }, {{4, 3}});
}

}  // namespace
}  // namespace nabla
