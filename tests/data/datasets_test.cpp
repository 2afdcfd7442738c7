#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <optional>

#include "nabla/data/datasets/fashion_mnist.h"
#include "nabla/data/datasets/mnist.h"
#include "nabla/data/readers/idx.h"
#include "test_util.h"

namespace nabla {
namespace {

namespace fs = std::filesystem;
using data::write_idx;

// Images whose pixels encode (index, row, col), and labels index % 10, so that a load can be checked exactly.
Tensor fake_images(int64_t n, int64_t salt = 0) {
  Tensor t = Tensor::empty({n, 28, 28}, u8);
  uint8_t* p = t.data<uint8_t>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = uint8_t((i * 7 + salt) % 251);
  return t;
}
Tensor fake_labels(int64_t n) {
  Tensor t = Tensor::empty({n}, u8);
  for (int64_t i = 0; i < n; ++i) t.data<uint8_t>()[i] = uint8_t(i % 10);
  return t;
}

// Writes the four files of an MNIST-format dataset into dir.
void write_fake(const std::string& dir, int64_t n_train, int64_t n_test, bool gzip) {
  fs::create_directories(dir);
  std::string sfx = gzip ? ".gz" : "";
  write_idx(dir + "/train-images-idx3-ubyte" + sfx, fake_images(n_train), gzip);
  write_idx(dir + "/train-labels-idx1-ubyte" + sfx, fake_labels(n_train), gzip);
  write_idx(dir + "/t10k-images-idx3-ubyte" + sfx, fake_images(n_test, 1), gzip);
  write_idx(dir + "/t10k-labels-idx1-ubyte" + sfx, fake_labels(n_test), gzip);
}

void expect_fake(const datasets::LoadedData& d, int64_t n_train, int64_t n_test) {
  EXPECT_EQ(d.train.images.shape(), Shape({n_train, 28, 28}));
  EXPECT_EQ(d.train.labels.shape(), Shape({n_train}));
  EXPECT_EQ(d.test.images.shape(), Shape({n_test, 28, 28}));
  EXPECT_EQ(d.test.labels.shape(), Shape({n_test}));
  EXPECT_EQ(d.train.images.dtype(), u8);
  EXPECT_EQ(d.train.labels.dtype(), u8);
  EXPECT_EQ(d.train.images.to_vector<uint8_t>(), fake_images(n_train).to_vector<uint8_t>());
  EXPECT_EQ(d.test.images.to_vector<uint8_t>(), fake_images(n_test, 1).to_vector<uint8_t>());
  EXPECT_EQ(d.train.labels.to_vector<uint8_t>(), fake_labels(n_train).to_vector<uint8_t>());
  EXPECT_EQ(d.test.labels.to_vector<uint8_t>(), fake_labels(n_test).to_vector<uint8_t>());
}

// Sets an environment variable for one scope and restores it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) setenv(name, value, 1); else unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_) setenv(name_, old_->c_str(), 1); else unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(Datasets, MnistFromExplicitDirRaw) {
  std::string dir = testing::temp_dir() + "/mnist";
  write_fake(dir, 30, 12, /*gzip=*/false);
  auto [train, test] = datasets::mnist::load_data(dir);
  expect_fake({train, test}, 30, 12);
}

TEST(Datasets, FashionMnistFromGzipFiles) {
  std::string dir = testing::temp_dir() + "/fashion-mnist";
  write_fake(dir, 20, 10, /*gzip=*/true);
  expect_fake(datasets::fashion_mnist::load_data(dir), 20, 10);
}

TEST(Datasets, RawFileIsPreferredOverGzip) {
  std::string dir = testing::temp_dir();
  write_fake(dir, 20, 10, /*gzip=*/true);
  write_fake(dir, 5, 3, /*gzip=*/false);
  expect_fake(datasets::mnist::load_data(dir), 5, 3);
}

TEST(Datasets, DefaultDirectoryComesFromNablaData) {
  std::string root = testing::temp_dir();
  write_fake(root + "/mnist", 10, 4, false);
  write_fake(root + "/fashion-mnist", 8, 6, true);
  {
    ScopedEnv env("NABLA_DATA", root.c_str());
    EXPECT_EQ(datasets::data_dir(), root);
    expect_fake(datasets::mnist::load_data(), 10, 4);
    expect_fake(datasets::fashion_mnist::load_data(), 8, 6);
  }
  ScopedEnv no_data("NABLA_DATA", nullptr);
  ScopedEnv home("HOME", "/some/home");
  EXPECT_EQ(datasets::data_dir(), "/some/home/.nabla/datasets");
}

TEST(Datasets, MissingDatasetNamesPathAndSetup) {
  std::string root = testing::temp_dir();
  ScopedEnv env("NABLA_DATA", root.c_str());
  testing::expect_error_contains<IOError>([] { datasets::mnist::load_data(); },
                                          {root + "/mnist/train-images-idx3-ubyte", "scripts/setup"});
  testing::expect_error_contains<IOError>([] { datasets::fashion_mnist::load_data(); },
                                          {root + "/fashion-mnist/train-images-idx3-ubyte", "scripts/setup"});
  // One file of four missing.
  write_fake(root + "/mnist", 10, 4, false);
  fs::remove(root + "/mnist/t10k-labels-idx1-ubyte");
  testing::expect_error_contains<IOError>([] { datasets::mnist::load_data(); },
                                          {root + "/mnist/t10k-labels-idx1-ubyte", "scripts/setup"});
}

TEST(Datasets, CountMismatchNamesBothFilesAndCounts) {
  std::string dir = testing::temp_dir();
  write_fake(dir, 10, 4, false);
  write_idx(dir + "/t10k-labels-idx1-ubyte", fake_labels(3));
  testing::expect_error_contains<IOError>(
      [&] { datasets::mnist::load_data(dir); },
      {dir + "/t10k-images-idx3-ubyte", "4 images", dir + "/t10k-labels-idx1-ubyte", "3 labels"});
}

TEST(Datasets, RejectsLabelsOutOfRangeAndWrongShapes) {
  std::string dir = testing::temp_dir();
  write_fake(dir, 10, 4, false);
  Tensor bad = fake_labels(10);
  bad.data<uint8_t>()[7] = 10;
  write_idx(dir + "/train-labels-idx1-ubyte", bad);
  testing::expect_error_contains<IOError>([&] { datasets::mnist::load_data(dir); },
                                          {dir + "/train-labels-idx1-ubyte", "label 10", "index 7"});

  write_fake(dir, 10, 4, false);
  write_idx(dir + "/train-images-idx3-ubyte", Tensor::zeros({10, 28, 27}, u8));
  testing::expect_error_contains<IOError>([&] { datasets::mnist::load_data(dir); },
                                          {dir + "/train-images-idx3-ubyte", "(10, 28, 27)"});
  write_idx(dir + "/train-images-idx3-ubyte", Tensor::zeros({10, 28, 28}, f32));
  testing::expect_error_contains<IOError>([&] { datasets::mnist::load_data(dir); }, {"float32"});
}

// Per-class counts of a label tensor.
std::vector<int64_t> class_counts(const Tensor& labels) {
  std::vector<int64_t> c(10, 0);
  for (uint8_t v : labels.to_vector<uint8_t>()) c.at(v)++;
  return c;
}

std::optional<std::string> installed(const char* name) {
  const char* home = std::getenv("HOME");
  if (!home) return std::nullopt;
  std::string dir = std::string(home) + "/.nabla/datasets/" + name;
  if (!fs::exists(dir)) return std::nullopt;
  return dir;
}

TEST(Datasets, RealMnistIfInstalled) {
  auto dir = installed("mnist");
  if (!dir) GTEST_SKIP() << "MNIST is not installed (run scripts/setup)";
  auto [train, test] = datasets::mnist::load_data(*dir);
  EXPECT_EQ(train.images.shape(), Shape({60000, 28, 28}));
  EXPECT_EQ(train.labels.shape(), Shape({60000}));
  EXPECT_EQ(test.images.shape(), Shape({10000, 28, 28}));
  EXPECT_EQ(test.labels.shape(), Shape({10000}));
  auto tr = class_counts(train.labels), te = class_counts(test.labels);
  EXPECT_EQ(std::accumulate(tr.begin(), tr.end(), int64_t(0)), 60000);
  EXPECT_EQ(std::accumulate(te.begin(), te.end(), int64_t(0)), 10000);
  // The well-known class balance of MNIST, which also pins the label order.
  EXPECT_EQ(tr, (std::vector<int64_t>{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}));
  EXPECT_EQ(te, (std::vector<int64_t>{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}));
}

TEST(Datasets, RealFashionMnistIfInstalled) {
  auto dir = installed("fashion-mnist");
  if (!dir) GTEST_SKIP() << "Fashion-MNIST is not installed (run scripts/setup)";
  auto [train, test] = datasets::fashion_mnist::load_data(*dir);
  EXPECT_EQ(train.images.shape(), Shape({60000, 28, 28}));
  EXPECT_EQ(test.images.shape(), Shape({10000, 28, 28}));
  EXPECT_EQ(class_counts(train.labels), std::vector<int64_t>(10, 6000));
  EXPECT_EQ(class_counts(test.labels), std::vector<int64_t>(10, 1000));
}

}  // namespace
}  // namespace nabla
