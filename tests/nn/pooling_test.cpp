#include "test_util.h"

namespace nabla {
namespace {

using V = std::vector<Tensor>;

TEST(Pooling, MaxAndAverageValues) {
  // One 4x4 image, two channels (the second is the negated first).
  std::vector<float> v;
  for (int i = 0; i < 16; ++i) v.insert(v.end(), {float(i), float(-i)});
  Tensor x = Tensor::from_vector(v, {1, 4, 4, 2});
  EXPECT_EQ(max_pool2d(x).to_vector<float>(), (std::vector<float>{5, 0, 7, -2, 13, -8, 15, -10}));
  EXPECT_EQ(avg_pool2d(x).to_vector<float>(), (std::vector<float>{2.5, -2.5, 4.5, -4.5, 10.5, -10.5, 12.5, -12.5}));
  // 3x3 windows, stride 2, "same": the padded row/column (bottom/right) is neither a max candidate nor counted.
  Pool2DArgs same{{3, 3}, std::array<int64_t, 2>{2, 2}, Padding::same};
  EXPECT_EQ(max_pool2d(x, same).to_vector<float>(), (std::vector<float>{10, 0, 11, -2, 14, -8, 15, -10}));
  EXPECT_EQ(avg_pool2d(x, same).to_vector<float>(), (std::vector<float>{5, -5, 6.5, -6.5, 11, -11, 12.5, -12.5}));
  EXPECT_EQ(global_avg_pool2d(x).to_vector<float>(), (std::vector<float>{7.5, -7.5}));
}

TEST(Pooling, Gradcheck) {
  for (Padding p : {Padding::valid, Padding::same}) {
    Pool2DArgs a{{2, 3}, std::nullopt, p};
    Pool2DArgs b{{3, 3}, std::array<int64_t, 2>{1, 2}, p};  // overlapping windows
    testing::expect_gradcheck([&](const V& v) { return max_pool2d(v[0], a); }, {{2, 5, 7, 3}});
    testing::expect_gradcheck([&](const V& v) { return max_pool2d(v[0], b); }, {{2, 5, 7, 3}});
    testing::expect_gradcheck([&](const V& v) { return avg_pool2d(v[0], a); }, {{2, 5, 7, 3}});
    testing::expect_gradcheck([&](const V& v) { return avg_pool2d(v[0], b); }, {{2, 5, 7, 3}});
  }
  testing::expect_gradcheck([](const V& v) { return global_avg_pool2d(v[0]); }, {{2, 3, 4, 5}});
}

TEST(Pooling, OutputShapes) {
  EXPECT_EQ(pool2d_output_shape({-1, 26, 26, 32}, {}), Shape({-1, 13, 13, 32}));
  EXPECT_EQ(pool2d_output_shape({-1, 11, 11, 64}, {}), Shape({-1, 5, 5, 64}));
  EXPECT_EQ(pool2d_output_shape({-1, 11, 11, 64}, {.padding = Padding::same}), Shape({-1, 6, 6, 64}));
  EXPECT_EQ(pool2d_output_shape({-1, 11, 10, 1}, {{3, 3}, std::array<int64_t, 2>{1, 2}}), Shape({-1, 9, 4, 1}));
}

TEST(PoolingLayers, ShapesAndErrors) {
  auto mp = layers::MaxPooling2D();
  EXPECT_EQ(mp->compute_output_shape({Shape{-1, 9, 9, 4}}), Shape({-1, 4, 4, 4}));
  auto ap = layers::AveragePooling2D({3, 3}, 1, "same");
  EXPECT_EQ(ap->compute_output_shape({Shape{-1, 9, 9, 4}}), Shape({-1, 9, 9, 4}));
  EXPECT_EQ((*ap)(Tensor::ones({2, 9, 9, 4})).to_vector<float>(), std::vector<float>(2 * 9 * 9 * 4, 1.0f));
  Tensor y = (*mp)(Tensor::ones({2, 9, 9, 4}));
  EXPECT_EQ(y.shape(), Shape({2, 4, 4, 4}));
  testing::expect_error_contains<ShapeError>([&] { (*mp)(Tensor::ones({2, 9, 9})); },
                                             {mp->name(), "MaxPooling2D", "rank 4", "(2, 9, 9)"});
  testing::expect_error_contains<ShapeError>([&] { (*mp)(Tensor::ones({2, 1, 9, 3})); },
                                             {mp->name(), "(2, 1, 9, 3)", "2x2"});
  testing::expect_error_contains<Error>([] { layers::MaxPooling2D(2, std::nullopt, "full"); }, {"full"});
}

}  // namespace
}  // namespace nabla
