#include <fstream>

#include "data_test_util.h"
#include "test_util.h"

namespace nabla::data {
using namespace nabla::testing;

TEST(DataSources, TensorSlicesAreViewsAlongAxis0) {
  Tensor x = Tensor::arange(12).reshape({6, 2});
  Tensor y = Tensor::arange(6);
  auto ds = Dataset::from_tensor_slices(x, y);
  EXPECT_EQ(ds.cardinality(), 6);
  auto it = ds.make_iterator();
  for (int64_t i = 0; i < 6; ++i) {
    auto e = it.next();
    ASSERT_TRUE(e);
    ASSERT_EQ(e->size(), 2u);
    EXPECT_EQ((*e)[0].shape(), Shape({2}));
    EXPECT_EQ((*e)[0].to_vector<int64_t>(), (std::vector<int64_t>{2 * i, 2 * i + 1}));
    EXPECT_EQ((*e)[1].item(), double(i));
    EXPECT_TRUE((*e)[0].shares_storage(x));
  }
  EXPECT_FALSE(it.next());
  EXPECT_FALSE(it.next());
}

TEST(DataSources, TensorSlicesRejectsMismatchedRows) {
  expect_error_contains([] { Dataset::from_tensor_slices(Tensor::zeros({3, 2}), Tensor::zeros({4})); },
                        {"tensor 1 has 4 rows", "tensor 0 has 3"});
}

TEST(DataSources, FromTensorsIsOneElement) {
  auto ds = Dataset::from_tensors({Tensor::arange(3)});
  EXPECT_EQ(ds.cardinality(), 1);
  auto r = rows(ds);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0], (std::vector<int64_t>{0, 1, 2}));
}

TEST(DataSources, Range) {
  EXPECT_EQ(values(Dataset::range(5)), iota(0, 5));
  EXPECT_EQ(values(Dataset::range(2, 11, 3)), (std::vector<int64_t>{2, 5, 8}));
  EXPECT_EQ(values(Dataset::range(5, 0, -2)), (std::vector<int64_t>{5, 3, 1}));
  EXPECT_EQ(Dataset::range(2, 11, 3).cardinality(), 3);
  EXPECT_EQ(Dataset::range(5, 0, -2).cardinality(), 3);
  EXPECT_EQ(Dataset::range(0).cardinality(), 0);
}

TEST(DataSources, GeneratorRestartsEachPass) {
  auto ds = Dataset::from_generator([] {
    auto i = std::make_shared<int64_t>(0);
    return Dataset::GeneratorFn([i]() -> std::optional<Element> {
      if (*i >= 3) return std::nullopt;
      return Element{Tensor::scalar(double((*i)++), i64)};
    });
  });
  EXPECT_EQ(ds.cardinality(), UNKNOWN_CARDINALITY);
  EXPECT_EQ(values(ds), iota(0, 3));
  EXPECT_EQ(values(ds.repeat(2)), (std::vector<int64_t>{0, 1, 2, 0, 1, 2}));
}

TEST(DataSources, ListFilesSortedOrShuffled) {
  std::string dir = temp_dir();
  for (const char* n : {"b.txt", "a.txt", "c.txt", "skip.csv"}) std::ofstream(dir + "/" + n) << "x\n";
  auto names = [](const Dataset& ds) {
    std::vector<std::string> out;
    auto it = ds.make_iterator();
    while (auto e = it.next()) out.push_back(tensor_string((*e)[0]));
    return out;
  };
  auto sorted = names(Dataset::list_files(dir + "/*.txt", false));
  EXPECT_EQ(sorted, (std::vector<std::string>{dir + "/a.txt", dir + "/b.txt", dir + "/c.txt"}));
  auto shuffled = names(Dataset::list_files(dir + "/*.txt", true, 3));
  std::sort(shuffled.begin(), shuffled.end());
  EXPECT_EQ(shuffled, sorted);
  expect_error_contains<IOError>([&] { Dataset::list_files(dir + "/*.nothing"); }, {dir + "/*.nothing"});
}

TEST(DataSources, StringTensorsRoundTrip) {
  EXPECT_EQ(tensor_string(string_tensor("héllo, world")), "héllo, world");
  EXPECT_EQ(tensor_string(string_tensor("")), "");
}

}  // namespace nabla::data
