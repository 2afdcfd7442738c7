#include <cmath>

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

// The float32 kernels (vectorized clones) agree with the float64 ones that the gradient checks verify, forward and
// backward, for tiling windows (stride == pool, incl. clipped "same" windows and uncovered edges) and overlapping ones.
TEST(Pooling, MaxFloat32MatchesFloat64) {
  Generator gen(4);
  Tensor x32 = Tensor::uniform({3, 13, 11, 32}, -1, 1, f32, &gen);  // float32 values: exact in float64 too
  for (Pool2DArgs a : {Pool2DArgs{}, Pool2DArgs{.padding = Padding::same},
                       Pool2DArgs{{3, 3}, std::array<int64_t, 2>{2, 1}, Padding::valid}}) {
    Tensor gy32 = Tensor::uniform(pool2d_output_shape(x32.shape(), a), -1, 1, f32, &gen);
    std::vector<std::vector<double>> ys, gxs;
    for (DType dt : {f64, f32}) {
      Tensor x = x32.to(dt).clone();  // a leaf of its own: gradients do not pile up across cases
      x.requires_grad_(true);
      Tensor y = max_pool2d(x, a);
      y.backward(gy32.to(dt));
      ys.push_back(y.to(f64).to_vector<double>());
      gxs.push_back(x.grad().to(f64).to_vector<double>());
    }
    EXPECT_EQ(ys[0], ys[1]);
    ASSERT_EQ(gxs[0].size(), gxs[1].size());
    for (size_t i = 0; i < gxs[0].size(); ++i)  // overlapping windows add in float32: rounding only
      ASSERT_NEAR(gxs[0][i], gxs[1][i], 1e-6) << "at " << i;
  }
}

// Ties (the first maximum in row-major window order wins) and NaNs (one in a window's first pixel stays, a later
// one is passed over) give the same values and winners in float32 (8-channel register blocks where channels come
// in eights, the plain loop elsewhere) as in float64; with and without a gradient to record winners for.
TEST(Pooling, MaxFloat32TiesAndNaNsMatchFloat64) {
  Generator gen(5);
  for (int64_t c : {8, 24, 12}) {
    std::vector<float> v = Tensor::uniform({2, 6, 7, c}, 0, 4, f32, &gen).to_vector<float>();
    for (size_t i = 0; i < v.size(); ++i) v[i] = i % 37 == 5 ? NAN : std::floor(v[i]);  // 4 levels: many ties
    Tensor x32 = Tensor::from_vector(v, {2, 6, 7, c});
    for (Pool2DArgs a : {Pool2DArgs{}, Pool2DArgs{{3, 3}, std::array<int64_t, 2>{1, 2}, Padding::same}}) {
      Tensor gy32 = Tensor::uniform(pool2d_output_shape(x32.shape(), a), 1, 2, f32, &gen);
      std::vector<std::vector<double>> ys, gxs;
      for (DType dt : {f64, f32}) {
        Tensor x = x32.to(dt).clone();
        Tensor y_no_grad = max_pool2d(x, a);
        x.requires_grad_(true);
        Tensor y = max_pool2d(x, a);
        y.backward(gy32.to(dt));
        std::vector<double> yv = y.to(f64).to_vector<double>(), yn = y_no_grad.to(f64).to_vector<double>();
        for (size_t i = 0; i < yv.size(); ++i)
          ASSERT_TRUE(yv[i] == yn[i] || (std::isnan(yv[i]) && std::isnan(yn[i]))) << "at " << i;
        for (double& d : yv) d = std::isnan(d) ? -1 : d;  // comparable
        ys.push_back(yv);
        gxs.push_back(x.grad().to(f64).to_vector<double>());
      }
      EXPECT_EQ(ys[0], ys[1]) << "c=" << c;
      ASSERT_EQ(gxs[0].size(), gxs[1].size());
      for (size_t i = 0; i < gxs[0].size(); ++i) ASSERT_NEAR(gxs[0][i], gxs[1][i], 1e-6) << "c=" << c << " at " << i;
    }
  }
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
