// Whole-tensor and per-axis max/min/argmax/argmin, with their gradients.
#include "test_util.h"

namespace nabla {
namespace {

using V = std::vector<Tensor>;
using testing::expect_gradcheck;

TEST(Reductions, WholeTensorMaxMinArgmax) {
  Tensor x = Tensor::from_vector<float>({3, -1, 7, 2, 7, -5}, {2, 3});
  EXPECT_EQ(max(x).shape(), Shape{});
  EXPECT_EQ(max(x).item(), 7);
  EXPECT_EQ(min(x).item(), -5);
  EXPECT_EQ(x.max().item(), 7);
  EXPECT_EQ(x.min().item(), -5);
  // Index into the flattened tensor, the first of ties (torch.argmax(x) -> 2).
  EXPECT_EQ(argmax(x).dtype(), i64);
  EXPECT_EQ(argmax(x).shape(), Shape{});
  EXPECT_EQ(argmax(x).item(), 2);
  EXPECT_EQ(x.argmax().item(), 2);
  EXPECT_EQ(argmin(x).item(), 5);
  // Strided views reduce by their logical order.
  Tensor xt = x.t();
  EXPECT_EQ(argmax(xt).item(), 3);  // xt = [[3, 2], [-1, 7], [7, -5]]: the first 7 in row-major order
  EXPECT_EQ(max(Tensor::arange(5)).item(), 4);  // integer dtypes too
  EXPECT_THROW(max(Tensor::zeros({0, 3})), Error);
  EXPECT_THROW(argmax(Tensor::zeros({0})), Error);
}

TEST(Reductions, AxisVersions) {
  Tensor x = Tensor::from_vector<float>({3, -1, 7, 2, 9, -5}, {2, 3});
  EXPECT_EQ(max(x, 1).to_vector<float>(), (std::vector<float>{7, 9}));
  EXPECT_EQ(min(x, 1).to_vector<float>(), (std::vector<float>{-1, -5}));
  EXPECT_EQ(min(x, 0).to_vector<float>(), (std::vector<float>{2, -1, -5}));
  EXPECT_EQ(min(x, 0, true).shape(), Shape({1, 3}));
  EXPECT_EQ(argmax(x, 1).to_vector<int64_t>(), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(argmin(x, 1).to_vector<int64_t>(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(argmin(x, -1, true).shape(), Shape({2, 1}));
  EXPECT_EQ(argmax(x, 0).to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 0}));
}

TEST(Reductions, Gradients) {
  // Random inputs have no ties, so the extremum is unique and finite differences apply.
  expect_gradcheck([](const V& v) { return max(v[0]); }, {{3, 4}});
  expect_gradcheck([](const V& v) { return min(v[0]); }, {{3, 4}});
  expect_gradcheck([](const V& v) { return max(v[0].t()) * 2.0; }, {{3, 4}});
  expect_gradcheck([](const V& v) { return max(v[0], 1); }, {{3, 4}});
  expect_gradcheck([](const V& v) { return min(v[0], 0, true); }, {{3, 4}});
  expect_gradcheck([](const V& v) { return min(v[0], -1); }, {{2, 3, 4}});
}

TEST(Reductions, TiedMaximumSharesTheGradientEvenly) {
  // PyTorch: torch.tensor([1., 5., 5., 2.], requires_grad=True).max().backward() -> grad [0, .5, .5, 0].
  Tensor x = Tensor::from_vector<float>({1, 5, 5, 2}).requires_grad_();
  (max(x) * 3.0).backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{0, 1.5f, 1.5f, 0}));
  // Along an axis the gradient goes to the first extremum (torch.max(x, dim) returns that index).
  Tensor y = Tensor::from_vector<float>({1, 5, 5, 2}).requires_grad_();
  max(y, 0).backward();
  EXPECT_EQ(y.grad().to_vector<float>(), (std::vector<float>{0, 1, 0, 0}));
  Tensor z = Tensor::from_vector<float>({4, -2, -2}).requires_grad_();
  min(z).backward();
  EXPECT_EQ(z.grad().to_vector<float>(), (std::vector<float>{0, 0.5f, 0.5f}));
}

}  // namespace
}  // namespace nabla
