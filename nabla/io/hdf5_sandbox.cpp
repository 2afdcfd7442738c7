#include "nabla/io/hdf5_sandbox.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
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
// The sanitizer's work, in whichever process runs it: status 0 and the clean image, or 1 and the error message.
std::pair<char, std::string> sanitize_here(std::string_view image, const std::string& origin) {
  try {
    File src = File::open_trusted_image(image, origin);
    File dst = File::create(origin);
    copy_group(src.root(), dst.root(), origin, 0);
    return {0, dst.image()};
  } catch (const std::exception& e) {
    return {1, e.what()};
  } catch (...) {
    return {1, origin + ": cannot read this HDF5 file"};
  }
}

[[noreturn]] void answer_and_exit(std::string_view image, const std::string& origin, int out) {
#ifdef NABLA_SANITIZER_RUNTIME
  __sanitizer_set_death_callback(nullptr);
#endif
  for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL, SIGALRM, SIGINT, SIGTERM}) signal(sig, SIG_DFL);
  if (int devnull = open("/dev/null", O_WRONLY); devnull >= 0) dup2(devnull, STDERR_FILENO);
  const auto [status, payload] = sanitize_here(image, origin);
  const uint64_t n = payload.size();
  const bool ok = write_all(out, &status, 1) && write_all(out, &n, 8) && write_all(out, payload.data(), n);
  _exit(ok ? 0 : 3);  // no atexit handlers, no leak checks: what libhdf5 leaked dies with the process
}

// The helper program (tools/nabla-hdf5-sanitize), found by NABLA_HDF5_SANITIZER, else beside the build tree's
// or the installed library; "" when there is none (then the child is a fork of this process).
std::string sanitizer_program() {
  if (const char* e = std::getenv("NABLA_HDF5_SANITIZER")) return e;
#if defined(NABLA_HDF5_SANITIZER_BUILD_PATH) && defined(NABLA_HDF5_SANITIZER_INSTALL_PATH)
  for (const char* p : {NABLA_HDF5_SANITIZER_BUILD_PATH, NABLA_HDF5_SANITIZER_INSTALL_PATH})
    if (access(p, X_OK) == 0) return p;
#endif
  return "";
}

// Starts the child: the helper program when there is one (a fresh process: a fork of a multi-threaded process
// may inherit a lock another thread held, e.g. GCC 12's ASan allocator's, and hang), else a fork. Returns its pid.
pid_t start_child(std::string_view image, const std::string& origin, int out_w) {
  const std::string program = sanitizer_program();
  if (program.empty()) {
    pid_t pid = fork();
    if (pid == 0) answer_and_exit(image, origin, out_w);
    return pid;
  }
  int in = memfd_create("nabla-hdf5-image", MFD_CLOEXEC);
  if (in < 0) return -1;
  if (!write_all(in, image.data(), image.size()) || lseek(in, 0, SEEK_SET) != 0) {
    close(in);
    return -1;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&fa, out_w, STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::string arg0 = program, arg1 = origin;
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  pid_t pid = -1;
  if (posix_spawn(&pid, program.c_str(), &fa, nullptr, argv, environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&fa);
  close(in);
  return pid;
}

}  // namespace

std::string sanitized_image(std::string_view image, const std::string& origin) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    throw IOError(origin + ": cannot create a pipe to read the HDF5 file in a child process");
  const pid_t pid = start_child(image, origin, fds[1]);
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    throw IOError(origin + ": cannot start a child process to read the HDF5 file");
  }
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

int sanitizer_main(int argc, char** argv) {
  const std::string origin = argc > 1 ? argv[1] : "<stdin>";
  std::string image;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return 2;
    if (n == 0) break;
    image.append(buf, size_t(n));
  }
  answer_and_exit(image, origin, STDOUT_FILENO);
}

}  // namespace nabla::io::h5
