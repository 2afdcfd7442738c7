// for (const auto& batch : dataset): one pass per loop, early exits stop the pass cleanly.
#include <atomic>
#include <iterator>
#include <ranges>

#include "data_test_util.h"
#include "test_util.h"

namespace nabla {
namespace {

using data::Dataset;
using data::Element;

static_assert(std::input_iterator<data::ElementIterator>);
static_assert(std::sentinel_for<std::default_sentinel_t, data::ElementIterator>);
static_assert(std::ranges::input_range<const Dataset>);

TEST(DataRangeFor, VisitsEveryElementOncePerLoop) {
  Tensor x = Tensor::arange(10, f32).reshape({5, 2});
  Tensor y = Tensor::arange(5);
  Dataset ds = Dataset::from_tensor_slices(x, y).batch(2);
  std::vector<int64_t> labels, sizes;
  for (const auto& batch : ds) {
    static_assert(std::is_same_v<decltype(batch), const Element&>);
    sizes.push_back(batch[0].size(0));
    for (int64_t v : batch[1].to_vector<int64_t>()) labels.push_back(v);
  }
  EXPECT_EQ(labels, testing::iota(0, 5));
  EXPECT_EQ(sizes, (std::vector<int64_t>{2, 2, 1}));
  // A second loop is a second pass, as iterating a tf.data.Dataset again in Python.
  int64_t n = 0;
  for (const auto& e : Dataset::range(7)) n += int64_t(e[0].item()) >= 0;
  EXPECT_EQ(n, 7);
  for (const auto& e : Dataset::range(0)) ADD_FAILURE() << "empty dataset yielded " << e.size();
}

TEST(DataRangeFor, BreakStopsBackgroundWorkAndReleasesThePass) {
  // The generator's state is owned by the pass; once the loop is left it must be gone, even with a parallel
  // map and prefetching still running ahead on the pool.
  auto token = std::make_shared<int>(0);
  std::atomic<int64_t> produced{0};
  Dataset ds = Dataset::from_generator([token, &produced] {
                 return [token, &produced, i = int64_t(0)]() mutable -> std::optional<Element> {
                   ++produced;
                   return Element{Tensor::scalar(double(i++))};
                 };
               })
                   .map([](Element e) { return e; }, 4)
                   .prefetch(8);
  const long held_by_dataset = token.use_count();
  int64_t seen = 0;
  for (const auto& e : ds) {
    EXPECT_EQ(int64_t(e[0].item()), seen);
    if (++seen == 3) break;
  }
  EXPECT_EQ(seen, 3);
  EXPECT_EQ(token.use_count(), held_by_dataset);  // the pass's generator was destroyed
  const int64_t after = produced.load();
  EXPECT_GE(after, 3);
  EXPECT_EQ(produced.load(), after);  // nothing runs on after the loop
  // Leaving by an exception works the same way.
  try {
    for (const auto& e : ds)
      if (e[0].item() == 1) throw std::runtime_error("stop");
    ADD_FAILURE() << "expected the loop to throw";
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(token.use_count(), held_by_dataset);
}

TEST(DataRangeFor, PipelineErrorsAreThrownFromTheLoop) {
  Dataset ds = Dataset::range(5).map([](Element e) {
    if (e[0].item() == 3) throw std::runtime_error("bad element");
    return e;
  });
  int64_t seen = 0;
  testing::expect_error_contains<data::PipelineError>(
      [&] {
        for (const auto& e : ds) seen += e.size() == 1;
      },
      {"bad element"});
  EXPECT_EQ(seen, 3);
}

}  // namespace
}  // namespace nabla
