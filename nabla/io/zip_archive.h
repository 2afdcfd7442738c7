#pragma once
// Zip archives (libzip): the container of Keras's .keras files. Entries are read and written whole, by name.
// Every error names the archive and the entry; a corrupt or truncated archive is an IOError, never a crash.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace nabla::io {

class ZipReader {
 public:
  // Opens the archive at `path`.
  static ZipReader open(const std::string& path);
  // Reads an archive held in memory (fuzzing, archives inside archives); `origin` names it in errors.
  static ZipReader from_bytes(std::string bytes, std::string origin);

  ZipReader(ZipReader&&) noexcept;
  ZipReader& operator=(ZipReader&&) noexcept;
  ~ZipReader();

  const std::string& origin() const { return origin_; }
  // Entry names in the archive's order.
  const std::vector<std::string>& entries() const { return names_; }
  bool contains(const std::string& entry) const;
  // The entry's uncompressed bytes. Throws IOError naming the archive and the entry when it is missing, when its
  // data is corrupt (CRC) or when it claims a size that is a decompression bomb (Keras's rule: over 4 GiB and
  // over 100x its stored size).
  std::string read(const std::string& entry) const;

 private:
  struct Impl;
  ZipReader(std::unique_ptr<Impl> impl, std::string origin);
  std::unique_ptr<Impl> impl_;
  std::string origin_;
  std::vector<std::string> names_;
};

// Writes a new archive at `path` (replacing any file there only in close(), through a temporary name).
class ZipWriter {
 public:
  explicit ZipWriter(std::string path);
  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;
  ~ZipWriter();

  // Adds an entry; stored uncompressed unless `deflate` (Keras stores every entry uncompressed).
  void add(const std::string& entry, std::string bytes, bool deflate = false);
  // Writes the archive and moves it to `path`. Without close() nothing is written.
  void close();

 private:
  struct Entry {
    std::string name, bytes;
    bool deflate;
  };
  std::string path_;
  std::vector<Entry> entries_;
};

}  // namespace nabla::io
