#include "nabla/data/autotune.h"
#include "test_util.h"

namespace nabla::data {

TEST(DataAutotune, BufferGrowsWhenTheConsumerFindsItEmptyAfterItFilled) {
  BufferTuner t(2, 16);
  t.record(0);  // upswing, not yet full: no change
  EXPECT_EQ(t.limit(), 2);
  t.record(2);  // full: downswing
  t.record(1);
  EXPECT_EQ(t.limit(), 2);
  t.record(0);  // drained: producer is bursty, double
  EXPECT_EQ(t.limit(), 4);
  for (int i = 0; i < 10; ++i) {
    t.record(t.limit());
    t.record(0);
  }
  EXPECT_EQ(t.limit(), 16);  // capped
  t.set_max(3);
  EXPECT_EQ(t.limit(), 3);
}

TEST(DataAutotune, ParallelismClimbsWhileThroughputImprovesAndBacksOff) {
  // Simulated stage: throughput proportional to parallelism up to 3, flat beyond.
  ParallelismTuner t(1, 8);
  int64_t now = 0;
  for (int step = 0; step < 2000; ++step) {
    double rate = double(std::min<int64_t>(t.value(), 3)) * 1000.0;  // elements per second
    now += int64_t(1e9 / rate);
    t.record_output(now);
  }
  EXPECT_GE(t.value(), 3);
  EXPECT_LE(t.value(), 4);  // probes one step above the knee, then returns
  // When more parallelism never helps, it stays low.
  ParallelismTuner flat(1, 8);
  now = 0;
  for (int step = 0; step < 2000; ++step) {
    now += 1000000;
    flat.record_output(now);
  }
  EXPECT_LE(flat.value(), 2);
}

}  // namespace nabla::data
