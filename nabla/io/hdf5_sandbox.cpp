#include "nabla/io/hdf5_sandbox.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <vector>

#include "nabla/core/error.h"
#include "nabla/io/hdf5_file.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define NABLA_SANITIZER_RUNTIME 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define NABLA_SANITIZER_RUNTIME 1
#endif
#ifdef NABLA_SANITIZER_RUNTIME
#include <sanitizer/common_interface_defs.h>
#endif

namespace nabla::io::h5 {
namespace {

// Deeper nesting than any Keras file has; also what stops a file whose hard links form a cycle.
constexpr int kMaxDepth = 32;

// Copies what nabla's readers use from `src` to `dst`: string attributes (scalar or lists; an empty non-string
// list, which h5py writes for an empty Python list, stays an empty list), datasets, and groups, recursively.
void copy_attributes(hid_t src, hid_t dst, const std::string& where) {
  H5O_info_t info;
  if (H5Oget_info2(src, &info, H5O_INFO_NUM_ATTRS) < 0) throw IOError(where + ": cannot list its attributes");
  for (hsize_t i = 0; i < info.num_attrs; ++i) {
    ssize_t len = H5Aget_name_by_idx(src, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (len < 0) throw IOError(detail::concat(where, ": cannot read the name of attribute ", i));
    std::string name(size_t(len) + 1, '\0');
    if (H5Aget_name_by_idx(src, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT) < 0)
      throw IOError(detail::concat(where, ": cannot read the name of attribute ", i));
    name.resize(size_t(len));
    std::optional<std::vector<std::string>> value;
    try {
      value = read_string_attr(src, name, where);
    } catch (const IOError&) {
      continue;  // not a string attribute: nabla's readers only read strings
    }
    if (value) write_string_list_attr(dst, name, *value, where);
  }
}

void copy_group(hid_t src, hid_t dst, const std::string& where, int depth) {
  if (depth > kMaxDepth) throw IOError(detail::concat(where, ": groups nested deeper than ", kMaxDepth));
  copy_attributes(src, dst, where);
  for (const Child& c : children(src, where)) {
    const std::string at = where + "/" + c.name;
    if (c.kind == ObjectKind::group) {
      Id s = open_group(src, c.name, where);
      Id d = create_group(dst, c.name, where);
      copy_group(s, d, at, depth + 1);
    } else if (c.kind == ObjectKind::dataset) {
      write_dataset(dst, c.name, read_dataset(src, c.name, where), where);
      Id s(H5Dopen2(src, c.name.c_str(), H5P_DEFAULT));
      Id d(H5Dopen2(dst, c.name.c_str(), H5P_DEFAULT));
      if (s.valid() && d.valid()) copy_attributes(s, d, at);
    }
  }
}

bool write_all(int fd, const void* p, size_t n) {
  const char* c = static_cast<const char*>(p);
  while (n > 0) {
    ssize_t w = write(fd, c, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    c += w, n -= size_t(w);
  }
  return true;
}

// The child: copy, send [status byte][8-byte length][bytes] (status 0: the image, 1: an error message), exit.
[[noreturn]] void child_main(std::string_view image, const std::string& origin, int out) {
  // A crash here must stay here: no sanitizer or fuzzer death hooks inherited from the parent (they would report
  // the parent's input as the crash), default signal dispositions, sanitizer reports to /dev/null.
#ifdef NABLA_SANITIZER_RUNTIME
  __sanitizer_set_death_callback(nullptr);
#endif
  for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGALRM, SIGINT, SIGTERM}) signal(sig, SIG_DFL);
  if (int devnull = open("/dev/null", O_WRONLY); devnull >= 0) dup2(devnull, STDERR_FILENO);
  char status = 0;
  std::string payload;
  try {
    File src = File::open_trusted_image(image, origin);
    File dst = File::create(origin);
    copy_group(src.root(), dst.root(), origin, 0);
    payload = dst.image();
  } catch (const std::exception& e) {
    status = 1;
    payload = e.what();
  } catch (...) {
    status = 1;
    payload = origin + ": cannot read this HDF5 file";
  }
  const uint64_t n = payload.size();
  const bool ok = write_all(out, &status, 1) && write_all(out, &n, 8) && write_all(out, payload.data(), n);
  _exit(ok ? 0 : 3);  // no atexit handlers, no leak checks: what libhdf5 leaked dies with the process
}

}  // namespace

std::string sanitized_image(std::string_view image, const std::string& origin) {
  int fds[2];
  if (pipe(fds) != 0) throw IOError(origin + ": cannot create a pipe to read the HDF5 file in a child process");
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]), close(fds[1]);
    throw IOError(origin + ": cannot start a child process to read the HDF5 file");
  }
  if (pid == 0) {
    close(fds[0]);
    child_main(image, origin, fds[1]);
  }
  close(fds[1]);
  // Reading a well-formed file takes a fraction of this; a corrupt one may send libhdf5 into a loop.
  const auto limit = std::chrono::seconds(30) + std::chrono::milliseconds(image.size() / 10000);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::string got;
  bool timed_out = false;
  char buf[1 << 16];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    int r = poll(&p, 1, int(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      timed_out = r == 0;
      break;
    }
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got.append(buf, size_t(n));
  }
  close(fds[0]);
  if (timed_out) kill(pid, SIGKILL);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (timed_out)
    throw IOError(detail::concat(origin, ": reading this HDF5 file took longer than ", limit.count(),
                                 " s (corrupt file?)"));
  if (WIFSIGNALED(wstatus))
    throw IOError(detail::concat(origin, ": corrupt HDF5 file: the HDF5 library crashed reading it (signal ",
                                 WTERMSIG(wstatus), ", ", strsignal(WTERMSIG(wstatus)), ")"));
  uint64_t n = 0;
  if (got.size() >= 9) std::memcpy(&n, got.data() + 1, 8);
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0 || got.size() < 9 || got.size() - 9 != n)
    throw IOError(detail::concat(origin, ": corrupt HDF5 file: the HDF5 library failed reading it (exit status ",
                                 WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1, ")"));
  if (got[0] != 0) throw IOError(got.substr(9));
  return got.substr(9);
}

}  // namespace nabla::io::h5
