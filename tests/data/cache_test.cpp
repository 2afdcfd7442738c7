#include <atomic>
#include <filesystem>
#include <fstream>

#include "data_test_util.h"
#include "test_util.h"

namespace nabla::data {
using namespace nabla::testing;

namespace {
// A dataset counting how many elements its source produced, to tell replay from recompute.
Dataset counted(std::shared_ptr<std::atomic<int>> n, int64_t size = 10) {
  return Dataset::range(size).map([n](Element e) {
    ++*n;
    return e;
  });
}
}  // namespace

TEST(DataCache, MemoryCacheReplaysAfterACompletePass) {
  auto n = std::make_shared<std::atomic<int>>(0);
  auto ds = counted(n).cache();
  EXPECT_EQ(values(ds), iota(0, 10));
  EXPECT_EQ(*n, 10);
  EXPECT_EQ(values(ds), iota(0, 10));
  EXPECT_EQ(*n, 10);  // read from the cache
  EXPECT_EQ(values(ds.repeat(3)).size(), 30u);
  EXPECT_EQ(*n, 10);
}

TEST(DataCache, InterruptedPassLeavesNoCache) {
  auto n = std::make_shared<std::atomic<int>>(0);
  auto ds = counted(n).cache();
  {
    auto it = ds.make_iterator();
    it.next();
    it.next();
  }
  EXPECT_EQ(values(ds.take(3)), iota(0, 3));  // take stops early too: still no cache
  EXPECT_EQ(values(ds), iota(0, 10));         // a full pass, recomputed
  EXPECT_EQ(*n, 2 + 3 + 10);
  EXPECT_EQ(values(ds), iota(0, 10));
  EXPECT_EQ(*n, 15);
}

TEST(DataCache, CacheThenShuffleReshufflesCachedElements) {
  auto n = std::make_shared<std::atomic<int>>(0);
  auto ds = counted(n, 30).cache().shuffle(30, 5);
  auto a = values(ds), b = values(ds);
  EXPECT_NE(a, b);
  EXPECT_EQ(*n, 30);
}

TEST(DataCache, FileCacheIsWrittenAtomicallyAndReused) {
  std::string path = temp_dir() + "/cache.bin";
  auto n = std::make_shared<std::atomic<int>>(0);
  Tensor x = Tensor::arange(20).reshape({10, 2}).to(f32);
  auto make = [&] {
    return Dataset::from_tensor_slices(x, Tensor::arange(10)).map([n](Element e) {
      ++*n;
      return e;
    }).cache(path);
  };
  {
    auto it = make().make_iterator();
    it.next();
  }  // interrupted: nothing at path, no temporary left behind
  EXPECT_FALSE(std::filesystem::exists(path));
  for (auto& f : std::filesystem::directory_iterator(std::filesystem::path(path).parent_path()))
    ADD_FAILURE() << "left behind: " << f.path();
  auto first = rows(make().batch(4));
  EXPECT_TRUE(std::filesystem::exists(path));
  int after_first = *n;
  auto second = rows(make().batch(4));  // a new Dataset object: reads the file
  EXPECT_EQ(*n, after_first);
  EXPECT_EQ(first, second);
  auto it = make().make_iterator();
  auto e = it.next();
  EXPECT_EQ((*e)[0].dtype(), f32);
  EXPECT_EQ((*e)[0].shape(), Shape({2}));
  EXPECT_EQ((*e)[1].dtype(), i64);
}

TEST(DataCache, FileCacheIsInvalidatedWhenThePipelineOrDataChanges) {
  std::string path = temp_dir() + "/cache.bin";
  EXPECT_EQ(values(Dataset::range(5).cache(path)), iota(0, 5));
  // Different data below the cache: the file is rebuilt, not trusted.
  EXPECT_EQ(values(Dataset::range(7).cache(path)), iota(0, 7));
  EXPECT_EQ(values(Dataset::from_tensor_slices(Tensor::arange(3)).cache(path)), iota(0, 3));
  EXPECT_EQ(values(Dataset::from_tensor_slices(Tensor::arange(3) + Tensor::scalar(1, i64)).cache(path)), iota(1, 4));
  // A truncated file (a crash while copying it, say) is not trusted either.
  auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, size - 5);
  EXPECT_EQ(values(Dataset::from_tensor_slices(Tensor::arange(3) + Tensor::scalar(1, i64)).cache(path)), iota(1, 4));
}

TEST(DataCache, UnwritableCachePathNamesIt) {
  expect_error_contains<IOError>([] { Dataset::range(3).cache("/nonexistent-dir/x/cache.bin").make_iterator(); },
                                 {"/nonexistent-dir/x/cache.bin"});
}

}  // namespace nabla::data
