// HDF5 files from outside are read in a child process (io/hdf5_sandbox.h). These inputs, found by fuzzing, make
// libhdf5 1.10.8 itself overflow a heap buffer (corrupt_global_heap.h5, in H5HG_read) or leak (corrupt_weights.keras):
// in-process, the sanitizer build of this test died on them. Now each is an IOError naming the file, or, where the
// library's bad read goes unnoticed in a build without sanitizers, a result; the caller survives either way.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include "nabla/core/error.h"
#include "nabla/io/hdf5_file.h"
#include "nabla/io/hdf5_sandbox.h"
#include "nabla/io/keras_archive.h"
#include "nabla/io/keras_legacy_h5.h"
#include "nabla/io/keras_weights_h5.h"
#include "test_util.h"

namespace nabla {
namespace {

const std::string kData = std::string(NABLA_TESTS_DIR) + "/io/data/";

std::string bytes_of(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  EXPECT_TRUE(f.good()) << path;
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void expect_identical(const Tensor& a, const Tensor& b, const std::string& what) {
  ASSERT_TRUE(a.defined() && b.defined()) << what;
  EXPECT_EQ(a.dtype(), b.dtype()) << what;
  ASSERT_EQ(a.shape(), b.shape()) << what;
  Tensor ca = a.contiguous(), cb = b.contiguous();
  EXPECT_EQ(0, std::memcmp(ca.raw_data(), cb.raw_data(), ca.nbytes())) << what;
}

template <class F>
void survives(F&& fn, const std::string& name) {
  try {
    fn();
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
  }
}

TEST(Hdf5Sandbox, InputsThatBreakLibhdf5AreErrorsNotCrashes) {
  const std::string h5 = bytes_of(kData + "corrupt_global_heap.h5");
  survives([&] { io::parse_legacy_keras_h5(h5, "corrupt_global_heap.h5"); }, "corrupt_global_heap.h5");
  survives([&] { io::read_keras_weights_h5(h5, "corrupt_global_heap.h5"); }, "corrupt_global_heap.h5");
  const std::string keras = bytes_of(kData + "corrupt_weights.keras");
  survives([&] { io::parse_keras_archive(keras, "corrupt_weights.keras"); }, "corrupt_weights.keras");
}

TEST(Hdf5Sandbox, TheCopyKeepsWhatTheReadersUse) {
  // A file with every kind of content the Keras readers look at: nested groups, datasets of each dtype, string
  // attributes (scalar, list, empty list) on groups and datasets.
  io::h5::File f = io::h5::File::create("orig.h5");
  {
    io::h5::Id g = io::h5::create_group(f.root(), "layers/dense/vars", "orig.h5");
    io::h5::write_dataset(g, "0", Tensor::arange(6, f32).reshape({2, 3}), "orig.h5");
    io::h5::write_dataset(g, "1", Tensor::arange(3, f64), "orig.h5");
    io::h5::write_dataset(g, "2", Tensor::arange(4, i64), "orig.h5");
    io::h5::write_string_attr(g, "name", "kernel", "orig.h5");
    io::h5::write_string_list_attr(f.root(), "layer_names", {"a", "bb", "ccc"}, "orig.h5");
    io::h5::write_string_list_attr(f.root(), "empty", {}, "orig.h5");
  }
  const std::string clean = io::h5::sanitized_image(f.image(), "orig.h5");
  io::h5::File c = io::h5::File::open_trusted_image(clean, "clean.h5");
  io::h5::Id g = io::h5::open_group(c.root(), "layers/dense/vars", "clean.h5");
  expect_identical(io::h5::read_dataset(g, "0", "clean.h5"), Tensor::arange(6, f32).reshape({2, 3}), "0");
  expect_identical(io::h5::read_dataset(g, "1", "clean.h5"), Tensor::arange(3, f64), "1");
  expect_identical(io::h5::read_dataset(g, "2", "clean.h5"), Tensor::arange(4, i64), "2");
  EXPECT_EQ(io::h5::read_string_attr(g, "name", "clean.h5"), std::vector<std::string>{"kernel"});
  EXPECT_EQ(io::h5::read_string_attr(c.root(), "layer_names", "clean.h5"),
            (std::vector<std::string>{"a", "bb", "ccc"}));
  EXPECT_EQ(io::h5::read_string_attr(c.root(), "empty", "clean.h5"), std::vector<std::string>{});
}

TEST(Hdf5Sandbox, ErrorsInTheChildComeBackWithTheirMessage) {
  testing::expect_error_contains<IOError>([] { io::h5::sanitized_image("\x89HDF\r\n\x1a\n garbage", "g.h5"); },
                                          {"g.h5", "not a readable HDF5 file"});
}

// The child is the helper program named by NABLA_HDF5_SANITIZER when set (the build tree's otherwise; ctest
// io.hdf5_sandbox.fork reruns these tests with it set to "", the fork fallback): one that cannot start, or that
// exits without an answer, is an error naming the file.
TEST(Hdf5Sandbox, AHelperThatFailsIsAnError) {
  const char* saved = std::getenv("NABLA_HDF5_SANITIZER");
  const std::string keep = saved ? saved : "";
  setenv("NABLA_HDF5_SANITIZER", "/nonexistent/nabla-hdf5-sanitize", 1);
  testing::expect_error_contains<IOError>([] { io::h5::sanitized_image("\x89HDF\r\n\x1a\n", "a.h5"); },
                                          {"a.h5", "cannot start a child process"});
  setenv("NABLA_HDF5_SANITIZER", "/bin/true", 1);
  testing::expect_error_contains<IOError>([] { io::h5::sanitized_image("\x89HDF\r\n\x1a\n", "b.h5"); },
                                          {"b.h5", "failed reading it"});
  if (saved) setenv("NABLA_HDF5_SANITIZER", keep.c_str(), 1);
  else unsetenv("NABLA_HDF5_SANITIZER");
}

}  // namespace
}  // namespace nabla
