#include "test_util.h"

namespace nabla {
namespace {

using V = std::vector<Tensor>;

TEST(Embedding, GathersRowsAndScatterAddsGradients) {
  Tensor table = Tensor::arange(8, f64).reshape({4, 2}).requires_grad_();
  Tensor idx = Tensor::from_vector<int64_t>({3, 0, 3, 1, 1, 1}, {2, 3});
  Tensor y = embedding(table, idx);
  EXPECT_EQ(y.shape(), Shape({2, 3, 2}));
  EXPECT_EQ(y.to_vector<double>(), (std::vector<double>{6, 7, 0, 1, 6, 7, 2, 3, 2, 3, 2, 3}));
  y.sum().backward();
  EXPECT_EQ(table.grad().to_vector<double>(), (std::vector<double>{1, 1, 3, 3, 0, 0, 2, 2}));
  Tensor idx32 = Tensor::from_vector<int32_t>({2, 2, 0}, {3});
  testing::expect_gradcheck([&](const V& v) { return embedding(v[0], idx32); }, {{4, 3}});
}

TEST(Embedding, OutOfRangeNamesPositionAndValue) {
  Tensor table = Tensor::zeros({10, 4});
  testing::expect_error_contains<ValueError>(
      [&] { embedding(table, Tensor::from_vector<int64_t>({1, 2, 3, 4, 12, 5}, {2, 3})); },
      {"index 12", "position (1, 1)", "input_dim 10"});
  testing::expect_error_contains<ValueError>([&] { embedding(table, Tensor::from_vector<int32_t>({-1})); },
                                             {"index -1", "position (0,)"});
}

TEST(EmbeddingLayer, ShapesFloatIdsAndLayerErrors) {
  auto emb = layers::Embedding(10, 3);
  EXPECT_EQ(emb->compute_output_shape({Shape{-1, 7}}), Shape({-1, 7, 3}));
  Tensor y = (*emb)(Tensor::from_vector<float>({1, 2, 9, 0}, {2, 2}));  // Keras casts float ids
  EXPECT_EQ(y.shape(), Shape({2, 2, 3}));
  for (float v : emb->embeddings().to_vector<float>()) ASSERT_LE(std::abs(v), 0.05f);
  testing::expect_error_contains<ValueError>([&] { (*emb)(Tensor::from_vector<int64_t>({10}, {1, 1})); },
                                             {emb->name(), "Embedding", "index 10", "position (0, 0)"});
}

TEST(ReshapeLayer, ShapesAndErrors) {
  auto r = layers::Reshape({-1, 4});
  EXPECT_EQ(r->compute_output_shape({Shape{-1, 2, 6}}), Shape({-1, 3, 4}));
  Tensor y = (*r)(Tensor::arange(24, f32).reshape({2, 3, 4}));
  EXPECT_EQ(y.shape(), Shape({2, 3, 4}));
  auto r2 = layers::Reshape({7, 7, 16});
  EXPECT_EQ(r2->compute_output_shape({Shape{-1, 784}}), Shape({-1, 7, 7, 16}));
  testing::expect_error_contains<ShapeError>([&] { r2->compute_output_shape({Shape{-1, 780}}); },
                                             {"Reshape", "(None, 780)", "(7, 7, 16)"});
  testing::expect_error_contains<ShapeError>([&] { (*r)(Tensor::ones({2, 5})); }, {r->name(), "(None, 5)", "(-1, 4)"});
  testing::expect_error_contains<Error>([] { layers::Reshape({-1, -1}); }, {"-1"});
}

TEST(GlobalAveragePooling2DLayer, ShapesAndErrors) {
  auto gap = layers::GlobalAveragePooling2D();
  EXPECT_EQ(gap->compute_output_shape({Shape{-1, 5, 5, 8}}), Shape({-1, 8}));
  EXPECT_EQ((*gap)(Tensor::ones({3, 5, 5, 8})).shape(), Shape({3, 8}));
  testing::expect_error_contains<ShapeError>([&] { (*gap)(Tensor::ones({3, 5, 8})); },
                                             {gap->name(), "GlobalAveragePooling2D", "(None, 5, 8)"});
}

}  // namespace
}  // namespace nabla
