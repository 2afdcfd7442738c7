#include "nabla/core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "nabla/core/error.h"

namespace nabla {
namespace {

void fsync_path(const std::string& path, bool directory, const std::string& what) {
  int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
  if (fd < 0) throw IOError(detail::concat(what, ": cannot open '", path, "' to sync it: ", std::strerror(errno)));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  // Some file systems (tmpfs, overlays) refuse fsync on directories; the rename is still atomic there.
  if (rc != 0 && !(directory && (err == EINVAL || err == EROFS)))
    throw IOError(detail::concat(what, ": fsync of '", path, "' failed: ", std::strerror(err)));
}

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  std::filesystem::path target(path_);
  if (target.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(target.parent_path(), ec);
    if (ec) throw IOError(detail::concat("cannot create the directory '", target.parent_path().string(), "' for '",
                                         path_, "': ", ec.message()));
  }
  // Unique per process and call, in the target's directory so that the rename is atomic.
  static std::atomic<uint64_t> counter{0};
  tmp_ = detail::concat(path_, ".tmp.", ::getpid(), ".", counter++);
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    std::error_code ignored;
    std::filesystem::remove(tmp_, ignored);
  }
}

void AtomicFile::commit() {
  fsync_path(tmp_, false, "writing '" + path_ + "'");
  std::error_code ec;
  std::filesystem::rename(tmp_, path_, ec);
  if (ec) throw IOError(detail::concat("cannot move '", tmp_, "' to '", path_, "': ", ec.message()));
  committed_ = true;
  std::filesystem::path parent = std::filesystem::path(path_).parent_path();
  fsync_path(parent.empty() ? "." : parent.string(), true, "writing '" + path_ + "'");
}

void write_file_atomic(const std::string& path, std::string_view bytes, const std::string& what) {
  AtomicFile file(path);
  {
    std::ofstream f(file.temp_path(), std::ios::binary | std::ios::trunc);
    if (!f) throw IOError(detail::concat(what, ": cannot open '", file.temp_path(), "' for writing"));
    f.write(bytes.data(), std::streamsize(bytes.size()));
    f.flush();
    if (!f) throw IOError(detail::concat(what, ": writing '", file.temp_path(), "' failed (disk full?)"));
  }
  file.commit();
}

std::string read_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw IOError(detail::concat(what, ": '", path, "' is a directory, expected a file"));
  std::ifstream f(path, std::ios::binary);
  if (!f) throw IOError(detail::concat(what, ": cannot open '", path, "': ", std::strerror(errno)));
  std::string s;
  f.seekg(0, std::ios::end);
  auto n = f.tellg();
  if (n < 0) throw IOError(detail::concat(what, ": cannot read '", path, "'"));
  s.resize(size_t(n));
  f.seekg(0);
  f.read(s.data(), n);
  if (!f) throw IOError(detail::concat(what, ": reading '", path, "' failed"));
  return s;
}

}  // namespace nabla
