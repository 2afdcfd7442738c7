#include "nabla/io/hdf5_sandbox.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
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

// Caps the reader's memory: a corrupt image of a few KB can make libhdf5 allocate gigabytes (fuzzing found one
// taking 6 GB and 14 s before it failed). The reader may grow by 1 GB or four times the image, whichever is more,
// beyond what it already maps; a sanitizer runtime maps terabytes of shadow, so its builds go without.
void limit_memory(size_t image_bytes) {
#ifndef NABLA_SANITIZER_RUNTIME
  unsigned long long pages = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%llu", &pages) != 1) pages = 0;
    std::fclose(f);
  }
  if (pages == 0) return;
  const unsigned long long mapped = pages * (unsigned long long)sysconf(_SC_PAGESIZE);
  const unsigned long long budget = std::max<unsigned long long>(1ull << 30, 4ull * image_bytes);
  rlimit r{mapped + budget, mapped + budget};
  setrlimit(RLIMIT_AS, &r);
#else
  (void)image_bytes;
#endif
}

[[noreturn]] void answer_and_exit(std::string_view image, const std::string& origin, int out) {
#ifdef NABLA_SANITIZER_RUNTIME
  __sanitizer_set_death_callback(nullptr);
#endif
  limit_memory(image.size());
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

using Clock = std::chrono::steady_clock;

// Reading a well-formed file takes a fraction of this; a corrupt one may send libhdf5 into a loop.
std::chrono::milliseconds time_limit(size_t image_bytes) {
  if (const char* e = std::getenv("NABLA_HDF5_SANITIZER_TIMEOUT"); e && *e) {
    char* end = nullptr;
    const double s = std::strtod(e, &end);
    if (end && *end == '\0' && s > 0) return std::chrono::milliseconds(int64_t(s * 1000));
  }
  return std::chrono::seconds(30) + std::chrono::milliseconds(image_bytes / 10000);
}

int ms_left(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : int(std::min<int64_t>(left, 1 << 30));
}

[[noreturn]] void throw_timed_out(const std::string& origin, std::chrono::milliseconds limit) {
  throw IOError(detail::concat(origin, ": reading this HDF5 file took longer than ", limit.count() / 1000.0,
                               " s (corrupt file?)"));
}

[[noreturn]] void throw_crashed(const std::string& origin, int sig) {
  throw IOError(detail::concat(origin, ": corrupt HDF5 file: the HDF5 library crashed reading it (signal ", sig, ", ",
                               strsignal(sig), ")"));
}

[[noreturn]] void throw_failed(const std::string& origin, int exit_status) {
  throw IOError(detail::concat(origin, ": corrupt HDF5 file: the HDF5 library failed reading it (exit status ",
                               exit_status, ")"));
}

// ---- the fallback without a helper program: a fork of this process per image ----

std::string sanitized_in_fork(std::string_view image, const std::string& origin) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    throw IOError(origin + ": cannot create a pipe to read the HDF5 file in a child process");
  const pid_t pid = fork();
  if (pid == 0) answer_and_exit(image, origin, fds[1]);
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    throw IOError(origin + ": cannot start a child process to read the HDF5 file");
  }
  const auto limit = time_limit(image.size());
  const auto deadline = Clock::now() + limit;
  std::string got;
  bool timed_out = false;
  char buf[1 << 16];
  for (;;) {
    const int left = ms_left(deadline);
    if (left == 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    int r = poll(&p, 1, left);
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
  if (timed_out) throw_timed_out(origin, limit);
  if (WIFSIGNALED(wstatus)) throw_crashed(origin, WTERMSIG(wstatus));
  uint64_t n = 0;
  if (got.size() >= 9) std::memcpy(&n, got.data() + 1, 8);
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0 || got.size() < 9 || got.size() - 9 != n)
    throw_failed(origin, WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
  if (got[0] != 0) throw IOError(got.substr(9));
  return got.substr(9);
}

// ---- the persistent helper ----
// One helper process (`nabla-hdf5-sanitize --serve`) answers every image of this process over a socket pair
// (a pipe in both directions, whose writes can refuse with EPIPE instead of raising SIGPIPE in the caller):
//   request  [u32 origin length][origin][u64 image length][image]
//   answer   [u8 status][u64 length][payload]: 0 the clean image, 1 an error message, 2 the reader died
//            (payload: the signal, int32), 3 the reader exited without an answer (payload: its exit status)
// The helper forks a reader per image (a fork of a small, single-threaded, already initialised process: a
// fraction of a millisecond, where starting the program took tens), so that a corrupt image still costs only
// its own process: what it did to libhdf5's heap never reaches the next image. A helper that dies or does not
// answer in time is killed and reaped, that image is an IOError, and the next image starts a new helper.
enum : char { kImage = 0, kMessage = 1, kSignal = 2, kExit = 3 };

// Sends or receives all n bytes before the deadline; false when the peer is gone (timed_out: too slow).
bool send_all(int fd, const char* p, size_t n, Clock::time_point deadline, bool& timed_out) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w > 0) {
      p += w, n -= size_t(w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd q{fd, POLLOUT, 0};
      const int r = poll(&q, 1, ms_left(deadline));
      if (r == 0) return !(timed_out = true);
      if (r < 0 && errno != EINTR) return false;
      continue;
    }
    return false;
  }
  return true;
}

bool recv_all(int fd, char* p, size_t n, Clock::time_point deadline, bool& timed_out) {
  while (n > 0) {
    ssize_t r = recv(fd, p, n, MSG_DONTWAIT);
    if (r > 0) {
      p += r, n -= size_t(r);
      continue;
    }
    if (r == 0) return false;  // the helper closed its end: it is gone
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd q{fd, POLLIN, 0};
      const int k = poll(&q, 1, ms_left(deadline));
      if (k == 0) return !(timed_out = true);
      if (k < 0 && errno != EINTR) return false;
      continue;
    }
    return false;
  }
  return true;
}

class Helper {
 public:
  std::string exchange(std::string_view image, const std::string& origin, const std::string& program) {
    std::lock_guard<std::mutex> lock(mu_);  // one exchange at a time on the one socket
    if (owner_ != getpid()) forget();       // a fork of this process: the helper belongs to the parent
    // A helper that died since the last image (or runs another program) is replaced before this image is sent,
    // so that this image is not blamed for it.
    if (pid_ > 0 && (program != program_ || gone())) stop(nullptr);
    const auto limit = time_limit(image.size());
    const auto deadline = Clock::now() + limit;
    for (;;) {
      const bool fresh = pid_ <= 0;
      if (fresh && !start(program))
        throw IOError(origin + ": cannot start a child process to read the HDF5 file");
      bool timed_out = false;
      std::string payload;
      char status = 0;
      if (round_trip(image, origin, deadline, timed_out, status, payload)) {
        int32_t code = 0;
        if (payload.size() == 4) std::memcpy(&code, payload.data(), 4);
        switch (status) {
          case kImage: return payload;
          case kMessage: throw IOError(payload);
          case kSignal: throw_crashed(origin, code);
          case kExit: throw_failed(origin, code);
          default:  // not the protocol: not a helper this library knows
            stop(nullptr);
            throw_failed(origin, -1);
        }
      }
      int wstatus = 0;
      stop(timed_out ? nullptr : &wstatus);
      if (timed_out) throw_timed_out(origin, limit);
      // The helper itself died (its readers' deaths come back as answers): killed from outside, say, while it
      // waited. An earlier image's helper gets one retry with a fresh one; a fresh helper that dies on this
      // image is this image's failure.
      if (!fresh) continue;
      if (WIFSIGNALED(wstatus)) throw_crashed(origin, WTERMSIG(wstatus));
      throw_failed(origin, WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
    }
  }

  long pid() {
    std::lock_guard<std::mutex> lock(mu_);
    return owner_ == getpid() ? long(pid_) : -1;
  }

 private:
  bool start(const std::string& program) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return false;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, sv[1], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, sv[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    std::string arg0 = program, arg1 = "--serve";
    char* argv[] = {arg0.data(), arg1.data(), nullptr};
    pid_t pid = -1;
    if (posix_spawn(&pid, program.c_str(), &fa, nullptr, argv, environ) != 0) pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    close(sv[1]);
    if (pid <= 0) {
      close(sv[0]);
      return false;
    }
    pid_ = pid, fd_ = sv[0], owner_ = getpid(), program_ = program;
    return true;
  }

  // Ends the helper: with wstatus, waits for it to exit (it closed its end; bounded, then killed) and reports
  // how; without, kills it.
  void stop(int* wstatus) {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    if (pid_ <= 0) return;
    int st = 0;
    bool reaped = false;
    if (wstatus) {
      for (int i = 0; i < 2000 && !reaped; ++i) {  // up to 2 s for a helper that closed its end to exit
        const pid_t r = waitpid(pid_, &st, WNOHANG);
        if (r == pid_ || (r < 0 && errno != EINTR)) reaped = true;
        else usleep(1000);
      }
    }
    if (!reaped) {
      kill(pid_, SIGKILL);
      while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
      }
    }
    if (wstatus) *wstatus = st;
    pid_ = -1;
  }

  // The helper has exited (reaped here; or, where SIGCHLD is ignored and children reap themselves, no longer
  // there). Then its pid is forgotten, so that stop() signals nobody.
  bool gone() {
    const pid_t r = waitpid(pid_, nullptr, WNOHANG);
    if (r == 0 || (r < 0 && errno == ECHILD && kill(pid_, 0) == 0)) return false;
    pid_ = -1;
    return true;
  }

  // Sends the request and reads the answer; false when the helper went away or the deadline passed.
  bool round_trip(std::string_view image, const std::string& origin, Clock::time_point deadline, bool& timed_out,
                  char& status, std::string& payload) {
    const uint32_t origin_n = uint32_t(std::min<size_t>(origin.size(), 4096));
    const uint64_t image_n = image.size();
    char head[9] = {};
    if (!(send_all(fd_, reinterpret_cast<const char*>(&origin_n), 4, deadline, timed_out) &&
          send_all(fd_, origin.data(), origin_n, deadline, timed_out) &&
          send_all(fd_, reinterpret_cast<const char*>(&image_n), 8, deadline, timed_out) &&
          send_all(fd_, image.data(), image.size(), deadline, timed_out) &&
          recv_all(fd_, head, 9, deadline, timed_out)))
      return false;
    uint64_t n = 0;
    std::memcpy(&n, head + 1, 8);
    if (n > (uint64_t(1) << 40)) return false;
    status = head[0];
    try {
      payload.resize(size_t(n));
    } catch (const std::bad_alloc&) {
      return false;
    }
    return recv_all(fd_, payload.data(), payload.size(), deadline, timed_out);
  }

  // In a fork of the owner: the helper and the socket are the parent's; this process starts its own.
  void forget() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1, pid_ = -1;
  }

  std::mutex mu_;
  pid_t pid_ = -1, owner_ = -1;
  int fd_ = -1;
  std::string program_;
};

// Never destroyed: another thread may still read a file while the process exits; the helper sees the socket
// close when this process ends, and exits.
Helper& helper() {
  static Helper* h = new Helper;
  return *h;
}

bool read_all(int fd, void* p, size_t n) {
  char* c = static_cast<char*>(p);
  while (n > 0) {
    ssize_t r = read(fd, c, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    c += r, n -= size_t(r);
  }
  return true;
}

// The helper's loop (`nabla-hdf5-sanitize --serve`): per request, a forked reader answers into a memory file,
// which the helper forwards if the reader exited cleanly, else reports how it ended.
int serve() {
  signal(SIGPIPE, SIG_DFL);
  H5open();  // initialised once here, inherited by every reader
  const pid_t self = getpid();
  const int answer = memfd_create("nabla-hdf5-answer", MFD_CLOEXEC);
  if (answer < 0) return 2;
  auto reply = [](char status, int32_t code) {
    const uint64_t n = 4;
    return write_all(STDOUT_FILENO, &status, 1) && write_all(STDOUT_FILENO, &n, 8) &&
           write_all(STDOUT_FILENO, &code, 4);
  };
  for (;;) {
    uint32_t origin_n = 0;
    uint64_t image_n = 0;
    if (!read_all(STDIN_FILENO, &origin_n, 4)) return 0;  // the caller is done (or gone)
    if (origin_n > 4096) return 2;
    std::string origin(origin_n, '\0');
    if (!read_all(STDIN_FILENO, origin.data(), origin_n) || !read_all(STDIN_FILENO, &image_n, 8)) return 2;
    std::string image;
    try {
      image.resize(size_t(image_n));
    } catch (const std::bad_alloc&) {
      return 2;
    }
    if (!read_all(STDIN_FILENO, image.data(), image.size())) return 2;
    if (ftruncate(answer, 0) != 0 || lseek(answer, 0, SEEK_SET) != 0) return 2;  // the reader writes from 0
    const pid_t reader = fork();
    if (reader == 0) {
      // The reader must not outlive the helper (the caller kills the helper when an image takes too long).
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != self) _exit(4);
      answer_and_exit(image, origin, answer);
    }
    if (reader < 0) {
      if (!reply(kExit, -1)) return 2;
      continue;
    }
    int wstatus = 0;
    while (waitpid(reader, &wstatus, 0) < 0 && errno == EINTR) {
    }
    const off_t size = lseek(answer, 0, SEEK_END);
    uint64_t n = 0;
    char status = 0;
    const bool framed = size >= 9 && pread(answer, &status, 1, 0) == 1 && pread(answer, &n, 8, 1) == 8 &&
                        uint64_t(size) - 9 == n;
    bool sent;
    if (WIFSIGNALED(wstatus)) {
      sent = reply(kSignal, WTERMSIG(wstatus));
    } else if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0 || !framed) {
      sent = reply(kExit, WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
    } else {
      off_t at = 0;
      sent = true;
      while (sent && at < size) {
        ssize_t w = sendfile(STDOUT_FILENO, answer, &at, size_t(size - at));
        if (w < 0 && errno == EINTR) continue;
        sent = w > 0;
      }
    }
    if (!sent) return 0;  // the caller went away
  }
}

}  // namespace

std::string sanitized_image(std::string_view image, const std::string& origin) {
  const std::string program = sanitizer_program();
  if (program.empty()) return sanitized_in_fork(image, origin);
  return helper().exchange(image, origin, program);
}

long sanitizer_helper_pid() { return helper().pid(); }

int sanitizer_main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--serve") == 0) return serve();
  // One image on stdin, answered on stdout (the helper's first protocol; still handy by hand).
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
