// HDF5 files from outside are read in a child process (io/hdf5_sandbox.h). These inputs, found by fuzzing, make
// libhdf5 1.10.8 itself overflow a heap buffer (corrupt_global_heap.h5, in H5HG_read) or leak (corrupt_weights.keras):
// in-process, the sanitizer build of this test died on them. Now each is an IOError naming the file, or, where the
// library's bad read goes unnoticed in a build without sanitizers, a result; the caller survives either way.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

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

// Found by keras_h5_fuzz once the helper was fast enough: a 16 KB legacy file on which libhdf5 allocated 6 GB and
// spent 14 s before failing (a libFuzzer timeout; on a small machine, memory pressure on everything else). The
// reader's memory is now capped (1 GB or four times the image beyond what it maps), so libhdf5's allocation
// fails at once and the file is an IOError naming it.
TEST(Hdf5Sandbox, AnImageThatAsksForGigabytesIsAnError) {
  const std::string h5 = bytes_of(kData + "huge_allocation.h5");
  testing::expect_error_contains<IOError>([&] { io::parse_legacy_keras_h5(h5, "huge_allocation.h5"); },
                                          {"huge_allocation.h5"});
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

// Sets NABLA_HDF5_SANITIZER (and the time limit) for one scope, and puts them back.
struct HelperEnv {
  std::string keep, keep_timeout;
  bool had, had_timeout;
  HelperEnv(const std::string& program, const char* timeout = nullptr) {
    const char* p = std::getenv("NABLA_HDF5_SANITIZER");
    const char* t = std::getenv("NABLA_HDF5_SANITIZER_TIMEOUT");
    had = p, had_timeout = t;
    keep = p ? p : "", keep_timeout = t ? t : "";
    setenv("NABLA_HDF5_SANITIZER", program.c_str(), 1);
    if (timeout) setenv("NABLA_HDF5_SANITIZER_TIMEOUT", timeout, 1);
  }
  ~HelperEnv() {
    if (had) setenv("NABLA_HDF5_SANITIZER", keep.c_str(), 1);
    else unsetenv("NABLA_HDF5_SANITIZER");
    if (had_timeout) setenv("NABLA_HDF5_SANITIZER_TIMEOUT", keep_timeout.c_str(), 1);
    else unsetenv("NABLA_HDF5_SANITIZER_TIMEOUT");
  }
};

// The fork fallback (ctest io.hdf5_sandbox.fork) has no helper process to check.
bool fork_fallback() {
  const char* p = std::getenv("NABLA_HDF5_SANITIZER");
  return p && !*p;
}

std::string small_file(int v) {
  io::h5::File f = io::h5::File::create("v.h5");
  io::h5::write_dataset(f.root(), "v", Tensor::full({3}, double(v), f64), "v.h5");
  return f.image();
}

double value_in(const std::string& clean) {
  io::h5::File c = io::h5::File::open_trusted_image(clean, "clean.h5");
  return io::h5::read_dataset(c.root(), "v", "clean.h5").contiguous().data<double>()[2];
}

// A shell script standing in for the helper program.
std::string script(const std::string& name, const std::string& body) {
  const std::string path = testing::temp_dir() + "/" + name;
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  chmod(path.c_str(), 0755);
  return path;
}

// One helper process answers image after image (the program is started once, not per image).
TEST(Hdf5Sandbox, OneHelperAnswersManyImages) {
  if (fork_fallback()) GTEST_SKIP() << "no helper program under the fork fallback";
  EXPECT_EQ(value_in(io::h5::sanitized_image(small_file(1), "1.h5")), 1.0);
  const long pid = io::h5::sanitizer_helper_pid();
  ASSERT_GT(pid, 0);
  for (int i = 2; i < 40; ++i) EXPECT_EQ(value_in(io::h5::sanitized_image(small_file(i), "i.h5")), double(i));
  EXPECT_EQ(io::h5::sanitizer_helper_pid(), pid);
  // An error answer leaves the helper in place too.
  EXPECT_THROW(io::h5::sanitized_image("\x89HDF\r\n\x1a\n garbage", "g.h5"), IOError);
  EXPECT_EQ(io::h5::sanitizer_helper_pid(), pid);
}

// A helper that dies (killed between images, or dying on one) costs at most that image, as an IOError naming it
// and the signal; the next image starts a new helper.
TEST(Hdf5Sandbox, AHelperThatDiesIsRestarted) {
  if (fork_fallback()) GTEST_SKIP() << "no helper program under the fork fallback";
  EXPECT_EQ(value_in(io::h5::sanitized_image(small_file(1), "1.h5")), 1.0);
  const long pid = io::h5::sanitizer_helper_pid();
  ASSERT_GT(pid, 0);
  ASSERT_EQ(kill(pid_t(pid), SIGKILL), 0);
  EXPECT_EQ(value_in(io::h5::sanitized_image(small_file(2), "2.h5")), 2.0);  // dead before the image: replaced
  EXPECT_NE(io::h5::sanitizer_helper_pid(), pid);
  {
    // Dies with SIGSEGV once the image arrives.
    HelperEnv env(script("segv-helper", "head -c 4 >/dev/null\nkill -SEGV $$"));
    testing::expect_error_contains<IOError>([] { io::h5::sanitized_image(small_file(3), "3.h5"); },
                                            {"3.h5", "crashed reading it", "signal 11"});
    EXPECT_EQ(io::h5::sanitizer_helper_pid(), -1);
  }
  EXPECT_EQ(value_in(io::h5::sanitized_image(small_file(4), "4.h5")), 4.0);
}

// A helper that does not answer in time is killed; the image is an IOError saying so.
TEST(Hdf5Sandbox, AHelperThatHangsIsKilled) {
  if (fork_fallback()) GTEST_SKIP() << "no helper program under the fork fallback";
  {
    HelperEnv env(script("hang-helper", "exec sleep 600"), "0.5");
    testing::expect_error_contains<IOError>([] { io::h5::sanitized_image(small_file(1), "slow.h5"); },
                                            {"slow.h5", "took longer than 0.5 s"});
    EXPECT_EQ(io::h5::sanitizer_helper_pid(), -1);
  }
  EXPECT_EQ(value_in(io::h5::sanitized_image(small_file(2), "2.h5")), 2.0);
}

// Several threads (nabla-serve loads models from several) share the helper, each getting its own answer.
TEST(Hdf5Sandbox, ThreadsShareTheHelper) {
  // The fork fallback forks the caller, which in a multi-threaded process may inherit a lock another thread held
  // (docs/design.md): threads are what the helper program is for.
  if (fork_fallback()) GTEST_SKIP() << "the fork fallback is for single-threaded callers";
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([t, &wrong] {
      for (int i = 0; i < 10; ++i) {
        const int v = 100 * t + i;
        if (value_in(io::h5::sanitized_image(small_file(v), "t.h5")) != double(v)) ++wrong;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace nabla
