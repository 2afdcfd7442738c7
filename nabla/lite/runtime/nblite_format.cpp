#include "nabla/lite/runtime/nblite_format.h"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <type_traits>

#include "nabla/core/atomic_file.h"
#include "nabla/core/error.h"

namespace nabla::lite {
namespace {

// x86-64 and aarch64 are little-endian; the format is too, so values are copied as they are.
static_assert(std::endian::native == std::endian::little, "nblite: big-endian hosts would need byte swaps");

constexpr uint32_t kMaxName = 4096;

class Writer {
 public:
  template <class T>
  void put(T v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void str(const std::string& s) {
    put(uint32_t(s.size()));
    out += s;
  }
  template <class T>
  void array(const std::vector<T>& v) {
    put(uint32_t(v.size()));
    if (!v.empty()) out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
  std::string out;
};

class Reader {
 public:
  Reader(std::string_view b, size_t offset, const std::string& where) : b_(b), pos_(offset), where_(where) {}
  [[noreturn]] void fail(const std::string& what, size_t at) const {
    throw IOError("load_model: " + where_ + ": byte offset " + std::to_string(at) + ": " + what);
  }
  void need(size_t n, const char* what) const {
    if (n > b_.size() - pos_)
      fail(std::string(what) + " needs " + std::to_string(n) + " bytes but the file has " +
               std::to_string(b_.size() - pos_) + " left",
           pos_);
  }
  template <class T>
  T get(const char* what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, b_.data() + pos_, sizeof v);
    pos_ += sizeof v;
    return v;
  }
  std::string str(const char* what) {
    const size_t at = pos_;
    const uint32_t n = get<uint32_t>(what);
    if (n > kMaxName) fail(std::string(what) + " of " + std::to_string(n) + " bytes is longer than " +
                               std::to_string(kMaxName), at);
    need(n, what);
    std::string s(b_.data() + pos_, n);
    pos_ += n;
    return s;
  }
  template <class T>
  std::vector<T> array(const char* what) {
    const uint32_t n = get<uint32_t>(what);
    need(size_t(n) * sizeof(T), what);
    std::vector<T> v(n);
    if (n != 0) std::memcpy(v.data(), b_.data() + pos_, size_t(n) * sizeof(T));  // v.data() may be null when empty
    pos_ += size_t(n) * sizeof(T);
    return v;
  }
  size_t pos() const { return pos_; }
  size_t left() const { return b_.size() - pos_; }

 private:
  std::string_view b_;
  size_t pos_;
  const std::string& where_;
};

uint32_t crc32_of(std::string_view s) {
  uLong c = crc32(0L, Z_NULL, 0);
  // zlib's length is a uInt: feed it in pieces.
  for (size_t off = 0; off < s.size(); off += 1u << 30) {
    const size_t n = std::min<size_t>(s.size() - off, 1u << 30);
    c = crc32(c, reinterpret_cast<const Bytef*>(s.data() + off), uInt(n));
  }
  return uint32_t(c);
}

}  // namespace

std::string serialize_nblite(const QModel& m) {
  Writer w;
  w.str(m.name);
  w.put(uint32_t(m.weight_bits));
  w.put(uint8_t(m.output_softmax));
  w.put(int32_t(m.input));
  w.put(int32_t(m.output));
  w.put(uint32_t(m.tensors.size()));
  for (const QTensor& t : m.tensors) {
    w.str(t.name);
    w.array(t.shape);
    w.put(t.q.scale);
    w.put(t.q.zero_point);
    w.put(uint8_t(t.is_float));
    w.str(t.calibration);
  }
  w.put(uint32_t(m.ops.size()));
  for (const QOp& op : m.ops) {
    w.put(uint8_t(op.kind));
    w.str(op.name);
    w.array(op.inputs);
    w.put(op.output);
    w.put(uint8_t(op.relu));
    for (int32_t v : {op.kh, op.kw, op.sh, op.sw, op.dh, op.dw, op.pad_t, op.pad_l, op.pad_b, op.pad_r}) w.put(v);
    w.array(op.weights);
    w.array(op.weight_scales);
    w.array(op.bias);
  }
  Writer h;
  h.out.append(kNbliteMagic, sizeof kNbliteMagic);
  h.put(kNbliteVersion);
  h.put(kNbliteHeaderSize);
  h.put(uint64_t(kNbliteHeaderSize + w.out.size()));
  h.put(crc32_of(w.out));
  h.put(uint32_t(0));  // reserved
  return h.out + w.out;
}

QModel parse_nblite(std::string_view bytes, const std::string& where, bool check_crc) {
  Reader r(bytes, 0, where);
  if (bytes.size() < kNbliteHeaderSize)
    r.fail("the file has " + std::to_string(bytes.size()) + " bytes, shorter than the " +
               std::to_string(kNbliteHeaderSize) + "-byte .nblite header",
           0);
  if (std::memcmp(bytes.data(), kNbliteMagic, sizeof kNbliteMagic) != 0)
    r.fail("not a .nblite file (bad magic number)", 0);
  Reader h(bytes, 8, where);
  const uint32_t version = h.get<uint32_t>("version");
  if (version == 0 || version > kNbliteVersion)
    h.fail("format version " + std::to_string(version) + "; this nabla reads versions 1 to " +
               std::to_string(kNbliteVersion),
           8);
  const uint32_t header_size = h.get<uint32_t>("header size");
  if (header_size < kNbliteHeaderSize || header_size > bytes.size())
    h.fail("header size " + std::to_string(header_size) + " is outside " + std::to_string(kNbliteHeaderSize) +
               ".." + std::to_string(bytes.size()),
           12);
  const uint64_t file_size = h.get<uint64_t>("file size");
  if (file_size != bytes.size())
    h.fail("the header records " + std::to_string(file_size) + " bytes but the file has " +
               std::to_string(bytes.size()) + " (truncated or appended to)",
           16);
  const uint32_t crc = h.get<uint32_t>("checksum");
  if (check_crc && crc != crc32_of(bytes.substr(header_size)))
    h.fail("the body's CRC-32 does not match the header's (the file is corrupt)", 24);

  QModel m;
  Reader b(bytes, header_size, where);
  m.name = b.str("model name");
  m.weight_bits = int(b.get<uint32_t>("weight bits"));
  m.output_softmax = b.get<uint8_t>("output softmax flag") != 0;
  m.input = b.get<int32_t>("input tensor id");
  m.output = b.get<int32_t>("output tensor id");
  const size_t tensors_at = b.pos();
  const uint32_t n_tensors = b.get<uint32_t>("tensor count");
  // Each tensor takes at least 21 bytes: a count that the rest of the file cannot hold is corrupt.
  if (size_t(n_tensors) * 21 > b.left())
    b.fail(std::to_string(n_tensors) + " tensors do not fit in the " + std::to_string(b.left()) +
               " bytes left",
           tensors_at);
  m.tensors.resize(n_tensors);
  for (QTensor& t : m.tensors) {
    t.name = b.str("tensor name");
    const size_t shape_at = b.pos();
    t.shape = b.array<int64_t>("tensor shape");
    if (t.shape.empty() || t.shape.size() > 8)
      b.fail("tensor '" + t.name + "' has rank " + std::to_string(t.shape.size()) + " (1 to 8)", shape_at);
    t.q.scale = b.get<float>("tensor scale");
    t.q.zero_point = b.get<int32_t>("tensor zero point");
    t.is_float = b.get<uint8_t>("tensor float flag") != 0;
    t.calibration = b.str("tensor calibration");
  }
  const size_t ops_at = b.pos();
  const uint32_t n_ops = b.get<uint32_t>("op count");
  if (size_t(n_ops) * 66 > b.left())
    b.fail(std::to_string(n_ops) + " ops do not fit in the " + std::to_string(b.left()) + " bytes left", ops_at);
  m.ops.resize(n_ops);
  for (QOp& op : m.ops) {
    const size_t op_at = b.pos();
    const uint8_t kind = b.get<uint8_t>("op kind");
    if (kind < uint8_t(OpKind::Dense) || kind > uint8_t(OpKind::Reshape))
      b.fail("unknown op code " + std::to_string(kind), op_at);
    op.kind = OpKind(kind);
    op.name = b.str("op name");
    op.inputs = b.array<int32_t>("op inputs");
    op.output = b.get<int32_t>("op output");
    op.relu = b.get<uint8_t>("op relu flag") != 0;
    for (int32_t* v : {&op.kh, &op.kw, &op.sh, &op.sw, &op.dh, &op.dw, &op.pad_t, &op.pad_l, &op.pad_b, &op.pad_r})
      *v = b.get<int32_t>("op geometry");
    op.weights = b.array<int8_t>("op weights");
    op.weight_scales = b.array<float>("op weight scales");
    op.bias = b.array<int32_t>("op bias");
  }
  if (b.left() != 0) b.fail(std::to_string(b.left()) + " bytes after the last op", b.pos());
  m.validate("load_model: " + where);
  return m;
}

void write_nblite(const QModel& m, const std::string& path) {
  m.validate("save_model: '" + path + "'");
  write_file_atomic(path, serialize_nblite(m), "save_model");
}

QModel read_nblite(const std::string& path) {
  return parse_nblite(read_file(path, "load_model"), "'" + path + "'");
}

}  // namespace nabla::lite
