#include "nabla/data/readers/idx.h"

#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "nabla/core/error.h"

namespace nabla::data {
namespace {

// A header describing more than this is corrupt: no real dataset comes near it, and refusing early keeps a
// bad header from asking for an absurd allocation.
constexpr uint64_t kMaxPayloadBytes = uint64_t(1) << 40;
// When the payload's true size is unknown (gzip, pipes), the tensor is allocated up front only if the header's
// claim is modest; larger claims are read into a buffer that grows with the data actually present.
constexpr uint64_t kTrustedBytes = uint64_t(64) << 20;
// Larger claims are read into a buffer that starts this big and doubles: starting at kTrustedBytes made every
// tiny corrupt gzip file cost a 64 MB zero-filled buffer (idx_gzip_fuzz timed out on one under ASan).
constexpr uint64_t kStreamStart = uint64_t(1) << 20;
// zlib's gzread/gzwrite take an unsigned length and return an int.
constexpr size_t kGzChunk = size_t(1) << 30;

struct IdxType {
  uint8_t code;
  int width;  // bytes per element in the file
  DType dtype;
};

const IdxType* find_type(uint8_t code) {
  static constexpr IdxType kTypes[] = {
      {0x08, 1, DType::u8}, {0x09, 1, DType::i32}, {0x0B, 2, DType::i32},
      {0x0C, 4, DType::i32}, {0x0D, 4, DType::f32}, {0x0E, 8, DType::f64},
  };
  for (const IdxType& t : kTypes)
    if (t.code == code) return &t;
  return nullptr;
}

std::string hex_bytes(const uint8_t* p, size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    if (i) s += ' ';
    s += kDigits[p[i] >> 4];
    s += kDigits[p[i] & 15];
  }
  return n ? s : "nothing (empty file)";
}

std::string hex_code(uint8_t c) { return "0x" + hex_bytes(&c, 1); }

template <class U>
U load_be(const uint8_t* p) {
  U v;
  std::memcpy(&v, p, sizeof v);
  if constexpr (std::endian::native == std::endian::little) {
    if constexpr (sizeof(U) == 2) v = __builtin_bswap16(v);
    if constexpr (sizeof(U) == 4) v = __builtin_bswap32(v);
    if constexpr (sizeof(U) == 8) v = __builtin_bswap64(v);
  }
  return v;
}

template <class U>
void store_be(uint8_t* p, U v) {
  if constexpr (std::endian::native == std::endian::little) {
    if constexpr (sizeof(U) == 4) v = __builtin_bswap32(v);
    if constexpr (sizeof(U) == 8) v = __builtin_bswap64(v);
  }
  std::memcpy(p, &v, sizeof v);
}

// The bytes of a raw or gzip-compressed file, read front to back. Offsets count bytes of IDX data, i.e. of
// the decompressed stream for gzip files.
class IdxSource {
 public:
  explicit IdxSource(const std::string& path) : path_(path) {
    file_ = std::fopen(path.c_str(), "rb");
    if (!file_) throw IOError(detail::concat("cannot open IDX file '", path, "': ", std::strerror(errno)));
    try {
      open_stream();
    } catch (...) {
      close();
      throw;
    }
  }
  ~IdxSource() { close(); }
  IdxSource(const IdxSource&) = delete;
  IdxSource& operator=(const IdxSource&) = delete;

  bool gzip() const { return gz_ != nullptr; }
  uint64_t offset() const { return offset_; }
  // Bytes left in a raw regular file; false where that is unknown (gzip streams, pipes).
  bool remaining(uint64_t* out) const {
    if (!sized_) return false;
    *out = size_ > offset_ ? size_ - offset_ : 0;
    return true;
  }

  // Reads up to n bytes; fewer only at the end of the data. Throws on read errors and corrupt gzip data.
  size_t read(void* dst, size_t n) {
    size_t total = 0;
    auto* out = static_cast<uint8_t*>(dst);
    while (total < n) {
      size_t got;
      if (gz_) {
        int r = gzread(gz_, out + total, unsigned(std::min(n - total, kGzChunk)));
        if (r < 0) {
          int err = 0;
          const char* msg = gzerror(gz_, &err);
          throw IOError(detail::concat("'", path_, "': corrupt gzip data at decompressed byte offset ",
                                       offset_ + total, ": ", msg));
        }
        got = size_t(r);
      } else {
        got = std::fread(out + total, 1, n - total, file_);
        check_stream(offset_ + total);
      }
      if (got == 0) break;
      total += got;
    }
    offset_ += total;
    return total;
  }

  // Why the data ended early, where that adds something to "ran out".
  std::string end_reason() const {
    if (!gz_) return "";
    int err = 0;
    gzerror(gz_, &err);
    return err == Z_BUF_ERROR ? "; the compressed stream itself is cut short" : "";
  }

 private:
  // Sniffs the gzip magic and reopens through zlib if present; otherwise notes the file's size.
  void open_stream() {
    uint8_t peek[2] = {};
    size_t n = std::fread(peek, 1, 2, file_);
    check_stream(0);
    if (n == 2 && peek[0] == 0x1f && peek[1] == 0x8b) {
      std::fclose(file_);
      file_ = nullptr;
      gz_ = gzopen(path_.c_str(), "rb");
      if (!gz_) throw IOError(detail::concat("cannot open gzip file '", path_, "': ", std::strerror(errno)));
      gzbuffer(gz_, 1 << 17);
      return;
    }
    std::rewind(file_);
    struct stat st {};
    if (fstat(fileno(file_), &st) == 0 && S_ISREG(st.st_mode)) {
      size_ = uint64_t(st.st_size);
      sized_ = true;
    }
  }

  void check_stream(uint64_t at) {
    if (std::ferror(file_))
      throw IOError(detail::concat("error reading '", path_, "' at byte offset ", at, ": ", std::strerror(errno)));
  }

  void close() {
    if (file_) std::fclose(file_);
    if (gz_) gzclose(gz_);
    file_ = nullptr;
    gz_ = nullptr;
  }

  std::string path_;
  FILE* file_ = nullptr;
  gzFile gz_ = nullptr;
  uint64_t offset_ = 0;
  uint64_t size_ = 0;
  bool sized_ = false;
};

[[noreturn]] void throw_truncated(const std::string& path, const IdxSource& src, const char* what, uint64_t start,
                                  uint64_t expected, uint64_t present) {
  throw IOError(detail::concat("'", path, "': truncated IDX file: data ran out at byte offset ", start + present,
                               src.gzip() ? " of the decompressed stream" : "", " while reading the ", what,
                               " (expected ", expected, " bytes from offset ", start, ", ", present, " present",
                               src.end_reason(), ")"));
}

// Reads exactly n bytes or throws the truncation error.
void read_exact(const std::string& path, IdxSource& src, const char* what, void* dst, uint64_t n) {
  uint64_t start = src.offset();
  uint64_t got = src.read(dst, size_t(n));
  if (got < n) throw_truncated(path, src, what, start, n, got);
}

// Converts n big-endian file elements at src into the tensor's native elements at dst. src may equal dst
// when the widths agree (each element is loaded before its slot is stored).
void decode(const IdxType& type, const uint8_t* src, int64_t n, void* dst) {
  switch (type.code) {
    case 0x08:
      if (src != dst && n) std::memcpy(dst, src, size_t(n));
      break;
    case 0x09: {
      auto* out = static_cast<int32_t*>(dst);
      for (int64_t i = 0; i < n; ++i) out[i] = int32_t(int8_t(src[i]));
      break;
    }
    case 0x0B: {
      auto* out = static_cast<int32_t*>(dst);
      for (int64_t i = 0; i < n; ++i) out[i] = int32_t(int16_t(load_be<uint16_t>(src + 2 * i)));
      break;
    }
    case 0x0C:
    case 0x0D: {
      auto* out = static_cast<uint8_t*>(dst);
      for (int64_t i = 0; i < n; ++i) {
        uint32_t v = load_be<uint32_t>(src + 4 * i);
        std::memcpy(out + 4 * i, &v, 4);
      }
      break;
    }
    case 0x0E: {
      auto* out = static_cast<uint8_t*>(dst);
      for (int64_t i = 0; i < n; ++i) {
        uint64_t v = load_be<uint64_t>(src + 8 * i);
        std::memcpy(out + 8 * i, &v, 8);
      }
      break;
    }
  }
}

}  // namespace

Tensor read_idx(const std::string& path) {
  IdxSource src(path);

  uint8_t magic[4] = {};
  size_t got = src.read(magic, 4);
  // Judge the magic from whatever bytes exist: a short non-IDX file is better reported as "not IDX".
  if ((got >= 1 && magic[0] != 0) || (got >= 2 && magic[1] != 0))
    throw IOError(detail::concat("'", path, "' is not an IDX file: bad magic at byte offset 0",
                                 src.gzip() ? " of the decompressed stream" : "",
                                 ": expected 00 00 <type> <ndims>, saw ", hex_bytes(magic, got)));
  if (got < 4) throw_truncated(path, src, "header", 0, 4, got);

  const IdxType* type = find_type(magic[2]);
  if (!type)
    throw IOError(detail::concat("'", path, "': unknown IDX type code ", hex_code(magic[2]),
                                 " at byte offset 2 (known: 0x08 u8, 0x09 i8, 0x0b i16, 0x0c i32, 0x0d f32, "
                                 "0x0e f64)"));
  int ndims = magic[3];
  if (ndims > Shape::kMaxDims)
    throw IOError(detail::concat("'", path, "': IDX header gives ", ndims, " dimensions at byte offset 3; nabla ",
                                 "tensors have at most ", Shape::kMaxDims));

  uint8_t dims_raw[4 * Shape::kMaxDims];
  read_exact(path, src, "dimensions", dims_raw, uint64_t(4) * ndims);
  Shape shape;
  uint64_t numel = 1;
  bool too_big = false;
  for (int i = 0; i < ndims; ++i) {
    uint32_t d = load_be<uint32_t>(dims_raw + 4 * i);
    shape.push_back(int64_t(d));
    too_big = too_big || __builtin_mul_overflow(numel, uint64_t(d), &numel);
  }
  uint64_t nbytes = 0;
  too_big = too_big || __builtin_mul_overflow(numel, uint64_t(type->width), &nbytes) || nbytes > kMaxPayloadBytes;
  if (too_big)
    throw IOError(detail::concat("'", path, "': IDX dimensions ", shape.str(), " at byte offset 4 describe more ",
                                 "than ", kMaxPayloadBytes, " bytes of data; the header is corrupt"));
  // A zero dimension makes the payload empty, but the other dimensions still set the strides: those of
  // (20, 0, 134676480, 1310720, 1835008, 1835009, 33752069) overflow. Tensors refuse such shapes; say so here,
  // with the file and offset.
  if (!shape.fits_int64())
    throw IOError(detail::concat("'", path, "': IDX dimensions ", shape.str(), " at byte offset 4 are too large: ",
                                 "the product of the non-zero dimensions does not fit int64; the header is corrupt"));

  const uint64_t data_start = src.offset();
  uint64_t remaining = 0;
  const bool sized = src.remaining(&remaining);
  if (sized && remaining < nbytes) throw_truncated(path, src, "data", data_start, nbytes, remaining);

  const bool in_place = size_t(type->width) == dtype_size(type->dtype);
  if (sized || nbytes <= kTrustedBytes) {
    // The size is known to be real (raw regular file) or small enough to allocate on the header's word.
    Tensor out = make_tensor(shape, type->dtype);
    std::vector<uint8_t> widen;
    uint8_t* buf = static_cast<uint8_t*>(out.raw_data());
    if (!in_place) {
      widen.resize(size_t(nbytes));
      buf = widen.data();
    }
    read_exact(path, src, "data", buf, nbytes);
    decode(*type, buf, int64_t(numel), out.raw_data());
    return out;
  }

  std::vector<uint8_t> buf;
  uint64_t have = 0;
  while (have < nbytes) {
    uint64_t want = std::min(nbytes, std::max(have * 2, kStreamStart));
    buf.resize(size_t(want));
    have += src.read(buf.data() + have, size_t(want - have));
    if (have < want) throw_truncated(path, src, "data", data_start, nbytes, have);
  }
  Tensor out = make_tensor(shape, type->dtype);
  decode(*type, buf.data(), int64_t(numel), out.raw_data());
  return out;
}

namespace {

// Where write_idx sends bytes: a plain or gzip file. Every failure throws naming the final path.
class IdxSink {
 public:
  IdxSink(const std::string& tmp, const std::string& path, bool gzip) : path_(path) {
    if (gzip) {
      gz_ = gzopen(tmp.c_str(), "wb");
      if (!gz_) fail("create");
    } else {
      file_ = std::fopen(tmp.c_str(), "wb");
      if (!file_) fail("create");
    }
  }
  ~IdxSink() {
    if (file_) std::fclose(file_);
    if (gz_) gzclose(gz_);
  }
  IdxSink(const IdxSink&) = delete;
  IdxSink& operator=(const IdxSink&) = delete;

  void write(const void* p, size_t n) {
    auto* b = static_cast<const uint8_t*>(p);
    while (n > 0) {
      size_t chunk = std::min(n, kGzChunk);
      bool ok = gz_ ? gzwrite(gz_, b, unsigned(chunk)) == int(chunk) : std::fwrite(b, 1, chunk, file_) == chunk;
      if (!ok) fail("write");
      b += chunk;
      n -= chunk;
    }
  }
  void close() {
    bool ok = true;
    if (gz_) ok = gzclose(gz_) == Z_OK;
    if (file_) ok = std::fclose(file_) == 0;
    gz_ = nullptr;
    file_ = nullptr;
    if (!ok) fail("finish writing");
  }

 private:
  [[noreturn]] void fail(const char* what) {
    throw IOError(detail::concat("cannot ", what, " IDX file '", path_, "': ", std::strerror(errno)));
  }
  std::string path_;
  FILE* file_ = nullptr;
  gzFile gz_ = nullptr;
};

uint8_t idx_code_for(DType dt, const std::string& path) {
  switch (dt) {
    case DType::u8: return 0x08;
    case DType::i32: return 0x0C;
    case DType::f32: return 0x0D;
    case DType::f64: return 0x0E;
    default:
      throw ValueError(detail::concat("write_idx('", path, "'): dtype ", dtype_name(dt),
                                      " has no IDX type code; convert to uint8, int32, float32 or float64"));
  }
}

}  // namespace

void write_idx(const std::string& path, const Tensor& t, bool gzip) {
  NABLA_CHECK(t.defined(), "write_idx('", path, "'): tensor is undefined");
  const uint8_t code = idx_code_for(t.dtype(), path);
  const Tensor c = t.contiguous();

  std::vector<uint8_t> header = {0, 0, code, uint8_t(c.dim())};
  for (int64_t d : c.shape()) {
    if (d > int64_t(UINT32_MAX))
      throw ValueError(detail::concat("write_idx('", path, "'): dimension ", d, " of shape ", c.shape().str(),
                                      " does not fit IDX's 32-bit sizes"));
    header.resize(header.size() + 4);
    store_be(header.data() + header.size() - 4, uint32_t(d));
  }

  // A name unique to this process and call, in the target's directory so that the rename is atomic.
  static std::atomic<uint64_t> counter{0};
  const std::string tmp = detail::concat(path, ".tmp.", getpid(), ".", counter++);
  try {
    IdxSink sink(tmp, path, gzip);
    sink.write(header.data(), header.size());
    const size_t width = dtype_size(c.dtype());
    const auto* data = static_cast<const uint8_t*>(c.raw_data());
    const size_t nbytes = c.nbytes();
    if (width == 1) {
      sink.write(data, nbytes);
    } else {
      // Byte-swap through a bounded buffer rather than a second copy of the whole tensor.
      std::vector<uint8_t> buf(size_t(1) << 16);
      for (size_t pos = 0; pos < nbytes; pos += buf.size()) {
        size_t n = std::min(buf.size(), nbytes - pos);
        for (size_t i = 0; i < n; i += width) {
          if (width == 4) {
            uint32_t v;
            std::memcpy(&v, data + pos + i, 4);
            store_be(buf.data() + i, v);
          } else {
            uint64_t v;
            std::memcpy(&v, data + pos + i, 8);
            store_be(buf.data() + i, v);
          }
        }
        sink.write(buf.data(), n);
      }
    }
    sink.close();
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) throw IOError(detail::concat("cannot move '", tmp, "' to '", path, "': ", ec.message()));
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(tmp, ignored);
    throw;
  }
}

}  // namespace nabla::data
