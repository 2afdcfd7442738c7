// Gradient checks (float64) and forward rules of the sequence-model ops: layer_norm, batch_matmul and the fused
// scaled, masked softmax of attention.
#include "test_util.h"

namespace nabla {
namespace {

using V = std::vector<Tensor>;
using testing::expect_close;
using testing::expect_gradcheck;

TEST(Gradcheck, LayerNorm) {
  expect_gradcheck([](const V& v) { return layer_norm(v[0], v[1], v[2], 5, 1e-3); }, {{3, 5}, {5}, {5}});
  // Two trailing axes (Keras axis=[-2, -1]): gamma/beta shaped like them.
  expect_gradcheck([](const V& v) { return layer_norm(v[0], v[1], v[2], 12, 1e-5); }, {{2, 3, 4}, {3, 4}, {3, 4}});
  // center / scale off.
  expect_gradcheck([](const V& v) { return layer_norm(v[0], Tensor(), Tensor(), 6, 1e-3); }, {{4, 6}});
  expect_gradcheck([](const V& v) { return layer_norm(v[0], v[1], Tensor(), 6, 1e-3); }, {{2, 2, 6}, {6}});
}

TEST(LayerNormOp, NormalizesEachRow) {
  Tensor x = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 10, 10, 10, 10}, Shape{2, 4});
  Tensor y = layer_norm(x, Tensor(), Tensor(), 4, 1e-3);
  // Row 0: mean 2.5, var 1.25. Row 1 is constant: 0 everywhere (epsilon keeps it finite).
  const double s = 1.0 / std::sqrt(1.25 + 1e-3);
  expect_close(y, Tensor::from_vector(std::vector<double>{-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s, 0, 0, 0, 0},
                                      Shape{2, 4}), 1e-12, 1e-12);
  testing::expect_error_contains([&] { layer_norm(x, Tensor::ones({3}, f64), Tensor(), 4); },
                                 {"gamma of shape (3,)", "4 normalized elements"});
}

TEST(Gradcheck, BatchMatmul) {
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      SCOPED_TRACE(std::string("trans_a=") + (ta ? "1" : "0") + " trans_b=" + (tb ? "1" : "0"));
      Shape a = ta ? Shape{2, 4, 3} : Shape{2, 3, 4}, b = tb ? Shape{2, 5, 4} : Shape{2, 4, 5};
      expect_gradcheck([ta, tb](const V& v) { return batch_matmul(v[0], v[1], ta, tb); }, {a, b});
    }
}

TEST(BatchMatmulOp, MatchesMatmulPerEntry) {
  Tensor a = Tensor::uniform({3, 2, 4}, -1, 1, f64), b = Tensor::uniform({3, 5, 4}, -1, 1, f64);
  Tensor c = batch_matmul(a, b, false, true);
  ASSERT_EQ(c.shape(), (Shape{3, 2, 5}));
  for (int64_t i = 0; i < 3; ++i)
    expect_close(select(c, 0, i), matmul(select(a, 0, i), transpose(select(b, 0, i), 0, 1)), 1e-12, 1e-12);
  testing::expect_error_contains([&] { batch_matmul(a, b); }, {"not aligned"});
}

TEST(Gradcheck, MaskedSoftmax) {
  expect_gradcheck([](const V& v) { return masked_softmax(v[0], Tensor(), 0.5); }, {{2, 3, 4}}, -2, 2);
  // A [Tq, Tk] mask broadcast over [B, Tq, Tk] scores (masks line up from the right), with a fully masked row.
  Tensor mask = Tensor::from_vector(std::vector<float>{1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0}, Shape{3, 4});
  expect_gradcheck([mask](const V& v) { return masked_softmax(v[0], mask, 0.7); }, {{2, 3, 4}}, -2, 2);
}

TEST(MaskedSoftmaxOp, KerasRules) {
  Tensor s = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, Shape{2, 3});
  Tensor mask = Tensor::from_vector(std::vector<uint8_t>{1, 0, 1, 0, 0, 0}, Shape{2, 3});
  Tensor y = masked_softmax(s, mask, 2.0);
  // Row 0: softmax over scaled entries 0 and 2 only; row 1 is fully masked: zeros (Keras's Softmax).
  const double e = std::exp(2.0 * 1), f = std::exp(2.0 * 3);
  expect_close(y, Tensor::from_vector(std::vector<double>{e / (e + f), 0, f / (e + f), 0, 0, 0}, Shape{2, 3}),
               1e-12, 1e-12);
  // A broadcast [1, 3] mask equals the same mask written out per row.
  Tensor row = Tensor::from_vector(std::vector<float>{0, 1, 1}, Shape{1, 3});
  Tensor full = Tensor::from_vector(std::vector<float>{0, 1, 1, 0, 1, 1}, Shape{2, 3});
  expect_close(masked_softmax(s, row), masked_softmax(s, full), 0, 0);
  // No mask: the scaled softmax.
  expect_close(masked_softmax(s, Tensor(), 0.5), softmax(s * 0.5), 1e-12, 1e-12);
  testing::expect_error_contains([&] { masked_softmax(s, Tensor::ones({2, 2}, f32)); }, {"does not broadcast"});
}

}  // namespace
}  // namespace nabla
