#pragma once
// Shared by the fuzz targets: the input as a file (the readers take paths), and the rule that a parser may only
// fail with one of nabla's own errors. Anything else (a std:: or nlohmann exception escaping, a crash, a
// sanitizer report) is a bug and stops the fuzzer.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "nabla/core/error.h"

namespace nabla::fuzz {

// One file per process, rewritten for every input: in $NABLA_FUZZ_TMPDIR, else /dev/shm (memory: a disk-backed
// /tmp made the IDX target 20 times slower), else /tmp.
class InputFile {
 public:
  InputFile() {
    const char* dir = std::getenv("NABLA_FUZZ_TMPDIR");
    if (!dir || !*dir) dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    path_ = std::string(dir) + "/nabla_fuzz_XXXXXX";
    fd_ = mkstemp(path_.data());
    if (fd_ < 0) {
      std::perror("nabla fuzz: mkstemp");
      std::abort();
    }
  }
  ~InputFile() {
    close(fd_);
    unlink(path_.c_str());
  }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  // Replaces the file's contents with the n bytes at p and returns its path.
  const std::string& write(const void* p, size_t n) {
    if (ftruncate(fd_, 0) != 0 || (n && pwrite(fd_, p, n, 0) != ssize_t(n))) {
      std::perror("nabla fuzz: writing the input file");
      std::abort();
    }
    return path_;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

// Runs fn; nabla::Error (and its subclasses) is the expected way to refuse bad input. Any other exception
// aborts, so that libFuzzer records the input.
template <class F>
void expect_clean(F&& fn) {
  try {
    fn();
  } catch (const nabla::Error&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nabla fuzz: a parser threw a non-nabla exception: %s\n", e.what());
    std::abort();
  }
}

}  // namespace nabla::fuzz
