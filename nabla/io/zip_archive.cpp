#include "nabla/io/zip_archive.h"

#include <zip.h>

#include <algorithm>

#include "nabla/core/atomic_file.h"
#include "nabla/core/error.h"

namespace nabla::io {
namespace {

std::string zip_error_text(int code) {
  zip_error_t e;
  zip_error_init_with_code(&e, code);
  std::string s = zip_error_strerror(&e);
  zip_error_fini(&e);
  return s;
}

// Keras's limit (saving_lib._reject_zip_bomb): an entry over 4 GiB that expands over 100x is refused.
constexpr zip_uint64_t kBombFloor = zip_uint64_t(1) << 32;
constexpr zip_uint64_t kMaxExpansion = 100;

}  // namespace

struct ZipReader::Impl {
  zip_t* zip = nullptr;
  std::string bytes;  // the archive when read from memory; libzip reads it in place
  ~Impl() {
    if (zip) zip_discard(zip);
  }
};

ZipReader::ZipReader(std::unique_ptr<Impl> impl, std::string origin)
    : impl_(std::move(impl)), origin_(std::move(origin)) {
  zip_int64_t n = zip_get_num_entries(impl_->zip, 0);
  for (zip_int64_t i = 0; i < n; ++i) {
    const char* name = zip_get_name(impl_->zip, zip_uint64_t(i), ZIP_FL_ENC_GUESS);
    if (!name) throw IOError(detail::concat("'", origin_, "': entry ", i, " of the zip archive has no readable name"));
    names_.emplace_back(name);
  }
}
ZipReader::ZipReader(ZipReader&&) noexcept = default;
ZipReader& ZipReader::operator=(ZipReader&&) noexcept = default;
ZipReader::~ZipReader() = default;

ZipReader ZipReader::open(const std::string& path) {
  // Read through memory as well: .keras files are read whole anyway (the HDF5 inside is opened as an image), and
  // one code path serves files and fuzzing alike.
  return from_bytes(read_file(path, "reading a zip archive"), path);
}

ZipReader ZipReader::from_bytes(std::string bytes, std::string origin) {
  auto impl = std::make_unique<Impl>();
  impl->bytes = std::move(bytes);
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* src = zip_source_buffer_create(impl->bytes.data(), impl->bytes.size(), 0, &err);
  if (!src) {
    std::string msg = zip_error_strerror(&err);
    zip_error_fini(&err);
    throw IOError(detail::concat("'", origin, "': cannot read it as a zip archive: ", msg));
  }
  impl->zip = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err);
  if (!impl->zip) {
    zip_source_free(src);
    std::string msg = zip_error_strerror(&err);
    zip_error_fini(&err);
    throw IOError(detail::concat("'", origin, "' is not a valid zip archive (corrupt or truncated?): ", msg));
  }
  zip_error_fini(&err);
  return ZipReader(std::move(impl), std::move(origin));
}

bool ZipReader::contains(const std::string& entry) const {
  return std::find(names_.begin(), names_.end(), entry) != names_.end();
}

std::string ZipReader::read(const std::string& entry) const {
  zip_stat_t st;
  zip_stat_init(&st);
  if (!contains(entry) || zip_stat(impl_->zip, entry.c_str(), 0, &st) != 0) {
    std::string have;
    for (const auto& n : names_) have += (have.empty() ? "" : ", ") + n;
    throw IOError(detail::concat("'", origin_, "' has no entry '", entry, "' (entries: ", have.empty() ? "none" : have,
                                 ")"));
  }
  const bool sized = (st.valid & ZIP_STAT_SIZE) && (st.valid & ZIP_STAT_COMP_SIZE);
  if (sized && st.size > kBombFloor && st.size > kMaxExpansion * st.comp_size)
    throw IOError(detail::concat("'", origin_, "': entry '", entry, "' declares ", st.size, " bytes but stores only ",
                                 st.comp_size, "; refusing a likely decompression bomb"));
  zip_file_t* f = zip_fopen(impl_->zip, entry.c_str(), 0);
  if (!f)
    throw IOError(detail::concat("'", origin_, "': cannot open entry '", entry, "': ", zip_strerror(impl_->zip)));
  std::string out;
  // Grow with the data actually decompressed rather than trusting the declared size.
  out.reserve(size_t(std::min<zip_uint64_t>(sized ? st.size : 0, zip_uint64_t(64) << 20)));
  char buf[1 << 16];
  for (;;) {
    zip_int64_t n = zip_fread(f, buf, sizeof buf);
    if (n < 0) {
      std::string msg = zip_file_strerror(f);
      zip_fclose(f);
      throw IOError(detail::concat("'", origin_, "': entry '", entry, "' is corrupt: ", msg));
    }
    if (n == 0) break;
    out.append(buf, size_t(n));
  }
  int rc = zip_fclose(f);
  if (rc != 0)
    throw IOError(detail::concat("'", origin_, "': entry '", entry, "' is corrupt: ", zip_error_text(rc)));
  if (sized && out.size() != st.size)
    throw IOError(detail::concat("'", origin_, "': entry '", entry, "' holds ", out.size(), " bytes, its header says ",
                                 st.size));
  return out;
}

ZipWriter::ZipWriter(std::string path) : path_(std::move(path)) {}
ZipWriter::~ZipWriter() = default;

void ZipWriter::add(const std::string& entry, std::string bytes, bool deflate) {
  for (const auto& e : entries_)
    if (e.name == entry) throw ValueError(detail::concat("zip archive '", path_, "': entry '", entry, "' added twice"));
  entries_.push_back({entry, std::move(bytes), deflate});
}

void ZipWriter::close() {
  // libzip writes no file at all for an archive without entries.
  if (entries_.empty()) throw ValueError(detail::concat("zip archive '", path_, "': nothing to write (no entries)"));
  AtomicFile file(path_);
  int err = 0;
  zip_t* z = zip_open(file.temp_path().c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  if (!z) throw IOError(detail::concat("cannot create the zip archive '", file.temp_path(), "': ", zip_error_text(err)));
  auto fail = [&](const std::string& what) {
    std::string msg = detail::concat("writing the zip archive '", path_, "': ", what, ": ", zip_strerror(z));
    zip_discard(z);
    throw IOError(msg);
  };
  for (const auto& e : entries_) {
    zip_source_t* src = zip_source_buffer(z, e.bytes.data(), e.bytes.size(), 0);
    if (!src) fail("entry '" + e.name + "'");
    zip_int64_t idx = zip_file_add(z, e.name.c_str(), src, ZIP_FL_ENC_UTF_8);
    if (idx < 0) {
      zip_source_free(src);
      fail("entry '" + e.name + "'");
    }
    if (zip_set_file_compression(z, zip_uint64_t(idx), e.deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0) != 0)
      fail("compression of entry '" + e.name + "'");
  }
  if (zip_close(z) != 0) fail("closing");
  file.commit();
}

}  // namespace nabla::io
