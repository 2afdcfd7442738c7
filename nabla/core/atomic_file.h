#pragma once
// Files that readers see either whole or not at all: bytes go to a unique temporary name beside the target, are
// fsynced, and renamed over it, so a crash or a failed save never destroys the previous file.
#include <string>
#include <string_view>

namespace nabla {

// A temporary file beside `path` for writers that need a file name of their own (libzip, HDF5). commit() fsyncs
// it, renames it over `path` and fsyncs the directory; destroying an uncommitted one removes the temporary file.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return tmp_; }
  void commit();

 private:
  std::string path_, tmp_;
  bool committed_ = false;
};

// Writes `bytes` to `path` atomically (through AtomicFile). `what` names the caller in errors ("save_model").
void write_file_atomic(const std::string& path, std::string_view bytes, const std::string& what);

// Reads a whole file; throws IOError naming `what` and the path.
std::string read_file(const std::string& path, const std::string& what);

}  // namespace nabla
