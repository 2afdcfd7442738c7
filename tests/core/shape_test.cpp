// Shapes too large to index are refused with ShapeError wherever tensors get their shapes (issue 19).
#include <limits>

#include "test_util.h"

namespace nabla {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

TEST(Shape, NumelAndStridesOfOrdinaryShapes) {
  EXPECT_EQ(Shape({2, 3, 4}).numel(), 24);
  EXPECT_EQ(Shape({}).numel(), 1);
  EXPECT_EQ(Shape({5, 0, 7}).numel(), 0);
  EXPECT_EQ(contiguous_strides(Shape({2, 3, 4})), Shape({12, 4, 1}));
  EXPECT_EQ(contiguous_strides(Shape({5, 0, 7})), Shape({0, 7, 1}));
  // The largest element count that still fits, with zeros beside it.
  EXPECT_TRUE(Shape({kMax}).fits_int64());
  EXPECT_TRUE(Shape({0, kMax, 0}).fits_int64());
  EXPECT_TRUE(Shape({int64_t(1) << 31, int64_t(1) << 30, 0, 2}).fits_int64());
}

TEST(Shape, OverflowingElementCountIsAShapeError) {
  Shape s{int64_t(1) << 32, int64_t(1) << 32};
  EXPECT_FALSE(s.fits_int64());
  testing::expect_error_contains<ShapeError>([&] { (void)s.numel(); }, {"(4294967296, 4294967296)", "too large"});
  EXPECT_THROW(contiguous_strides(s), ShapeError);
  EXPECT_THROW(Tensor::empty(s), ShapeError);
  EXPECT_THROW(Tensor::zeros(s, u8), ShapeError);
  EXPECT_FALSE(Shape({kMax, 2}).fits_int64());
}

// The case: a zero makes the element count 0, but the strides still multiply the other dimensions.
TEST(Shape, ZeroBesideHugeDimensionsIsStillAShapeError) {
  Shape s{20, 0, 134676480, 1310720, 1835008, 1835009, 33752069};
  EXPECT_FALSE(s.fits_int64());
  testing::expect_error_contains<ShapeError>([&] { contiguous_strides(s); }, {s.str(), "too large"});
  testing::expect_error_contains<ShapeError>([&] { Tensor::empty(s, u8); }, {s.str(), "too large"});
  // Overflow before the zero is reached must not slip through either.
  Shape before_zero{int64_t(1) << 40, int64_t(1) << 40, 0};
  EXPECT_THROW((void)before_zero.numel(), ShapeError);
  EXPECT_THROW(Tensor::empty(before_zero), ShapeError);
}

TEST(Shape, ByteCountOverflowIsAShapeError) {
  // 2^61 + 1 float64 elements: the count fits int64 but the bytes do not; the allocation must not wrap.
  Shape s{(int64_t(1) << 61) + 1};
  EXPECT_TRUE(s.fits_int64());
  testing::expect_error_contains<ShapeError>([&] { Tensor::empty(s, f64); }, {"float64", "bytes"});
}

TEST(Shape, ReshapeRejectsOverflowingTargets) {
  Tensor x = Tensor::zeros({0, 4});
  // Element count 0 matches, but the strides would overflow.
  testing::expect_error_contains<ShapeError>([&] { (void)x.reshape({0, int64_t(1) << 40, int64_t(1) << 40}); },
                                             {"too large"});
  testing::expect_error_contains<ShapeError>([&] { (void)x.reshape({int64_t(1) << 40, int64_t(1) << 40, 0}); },
                                             {"overflows"});
  Tensor y = Tensor::zeros({6});
  testing::expect_error_contains<ShapeError>([&] { (void)y.reshape({kMax, kMax, -1}); }, {"overflows"});
  // Two negative dimensions used to pass because their product matched the element count.
  testing::expect_error_contains<ShapeError>([&] { (void)y.reshape({-2, -3}); }, {"negative"});
  EXPECT_EQ(y.reshape({2, -1}).shape(), Shape({2, 3}));
  EXPECT_EQ(x.reshape({4, 0, 3}).shape(), Shape({4, 0, 3}));
}

}  // namespace
}  // namespace nabla
