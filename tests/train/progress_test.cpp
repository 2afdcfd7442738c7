// The progress bar's rate and final lines (the live bar with its ETA redraws only on a terminal).
#include <sstream>

#include "nabla/train/progress.h"
#include "test_util.h"

namespace nabla {
namespace {

TEST(ProgressBar, FormatsStepsPerSecond) {
  EXPECT_EQ(format_rate(312.4), "312 steps/s");
  EXPECT_EQ(format_rate(4.54), "4.5 steps/s");
  EXPECT_EQ(format_rate(0.25), "0.250 steps/s");
}

TEST(ProgressBar, FinalLinesCarryTimePerStepAndStepsPerSecond) {
  for (int verbose : {1, 2}) {
    std::ostringstream out;
    ProgressBar bar(4, verbose, out);
    for (int64_t s = 1; s <= 4; ++s) bar.update(s, {{"loss", 0.5}});
    EXPECT_EQ(out.str(), "") << "not a terminal: nothing before the final line";
    bar.update(4, {{"loss", 0.5}}, true);
    const std::string line = out.str();
    EXPECT_NE(line.find("4/4"), std::string::npos) << line;
    EXPECT_NE(line.find("/step"), std::string::npos) << line;
    EXPECT_NE(line.find(" steps/s"), std::string::npos) << line;
    EXPECT_NE(line.find("loss: 0.5000"), std::string::npos) << line;
  }
  std::ostringstream quiet;
  ProgressBar(4, 0, quiet).update(4, {}, true);
  EXPECT_EQ(quiet.str(), "");
}

}  // namespace
}  // namespace nabla
