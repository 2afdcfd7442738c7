#include "nabla/core/denormals.h"

#include <cfloat>
#include <cmath>

#include "test_util.h"

namespace nabla {
namespace {

// The products must be computed at run time, under the thread's MXCSR, not folded by the compiler.
float times(float a, float b) {
  volatile float x = a, y = b;
  return x * y;
}

TEST(ScopedFlushDenormal, FlushesInsideTheScopeAndRestoresAfter) {
  const float tiny = FLT_MIN / 4;  // a denormal
  ASSERT_EQ(std::fpclassify(tiny), FP_SUBNORMAL);
  EXPECT_EQ(std::fpclassify(times(tiny, 1.0f)), FP_SUBNORMAL);  // IEEE by default
  {
    ScopedFlushDenormal flush;
    EXPECT_EQ(times(tiny, 1.0f), 0.0f);        // denormal input read as zero
    EXPECT_EQ(times(FLT_MIN, 0.5f), 0.0f);     // denormal result flushed
    EXPECT_EQ(times(FLT_MIN, 2.0f), 2 * FLT_MIN);  // normal numbers untouched
    {
      ScopedFlushDenormal nested;  // already flushing: leaves the state alone, also on exit
    }
    EXPECT_EQ(times(tiny, 1.0f), 0.0f);
  }
  EXPECT_EQ(times(tiny, 1.0f), tiny);
  EXPECT_EQ(std::fpclassify(times(FLT_MIN, 0.5f)), FP_SUBNORMAL);
}

}  // namespace
}  // namespace nabla
