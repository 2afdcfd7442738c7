#include "nabla/io/hdf5_file.h"

#include <atomic>
#include <cstring>
#include <limits>

#include "nabla/core/error.h"
#include "nabla/io/hdf5_sandbox.h"

namespace nabla::io::h5 {
namespace {

// HDF5 prints its error stack to stderr by default; nabla reports errors itself (error_text()).
void quiet() {
  static const bool done = [] {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

[[noreturn]] void fail(const std::string& where, const std::string& what) {
  std::string stack = error_text();
  throw IOError(where + ": " + what + (stack.empty() ? "" : " (HDF5: " + stack + ")"));
}

herr_t collect_error(unsigned n, const H5E_error2_t* e, void* out) {
  auto* s = static_cast<std::string*>(out);
  if (n < 3 && e->desc && *e->desc) *s += (s->empty() ? "" : "; ") + std::string(e->desc);
  return 0;
}

// A dataset claiming far more data than the file stores (a corrupt or hostile header) is refused before
// allocating: compressed or unwritten data expands, but not by more than this.
constexpr uint64_t kMaxExpansionFloor = uint64_t(64) << 20;
constexpr uint64_t kMaxExpansion = 1024;

uint64_t load_le(const char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | uint8_t(p[i]);
  return v;
}

// libhdf5 1.10.8 trusts the object sizes in a global heap collection (where variable-length strings live): a
// zero-sized free-space object loops forever in H5HG's decoder, an oversized one is read past the heap (found by
// fuzzing keras_h5_fuzz). So every collection in the image ("GCOL", version 1, 8-byte lengths as h5py writes)
// is walked here first, as HDF5 will walk it, and a file with a malformed one is refused. The (remote) price: a
// dataset whose raw bytes happen to spell a malformed collection header is refused too.
void check_global_heaps(std::string_view img, const std::string& origin) {
  for (size_t at = img.find("GCOL\x01"); at != std::string_view::npos; at = img.find("GCOL\x01", at + 1)) {
    auto bad = [&](const std::string& why) {
      throw IOError(detail::concat(origin, ": corrupt HDF5 global heap at offset ", at, ": ", why));
    };
    if (img.size() - at < 16) bad("truncated header");
    const uint64_t size = load_le(img.data() + at + 8, 8);
    if (size < 16 || size > img.size() - at) bad(detail::concat("collection size ", size, " exceeds the file"));
    const size_t end = at + size_t(size);
    for (size_t p = at + 16; p < end;) {
      if (end - p < 16) break;  // HDF5 treats a tail shorter than an object header as free space
      const uint64_t idx = load_le(img.data() + p, 2);
      const uint64_t obj = load_le(img.data() + p + 8, 8);
      if (obj > size) bad(detail::concat("object ", idx, " of ", obj, " bytes exceeds the collection"));
      const uint64_t need = idx > 0 ? 16 + ((obj + 7) & ~uint64_t(7)) : obj;
      if (need == 0 || need > end - p) bad(detail::concat("object ", idx, " of ", obj, " bytes does not fit"));
      p += size_t(need);
    }
  }
}

}  // namespace

Id& Id::operator=(Id&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = o.id_;
    o.id_ = -1;
  }
  return *this;
}

void Id::reset() {
  if (id_ < 0) return;
  switch (H5Iget_type(id_)) {
    case H5I_FILE: H5Fclose(id_); break;
    case H5I_GROUP: H5Gclose(id_); break;
    case H5I_DATASET: H5Dclose(id_); break;
    case H5I_DATASPACE: H5Sclose(id_); break;
    case H5I_DATATYPE: H5Tclose(id_); break;
    case H5I_ATTR: H5Aclose(id_); break;
    case H5I_GENPROP_LST: H5Pclose(id_); break;
    default: H5Idec_ref(id_); break;
  }
  id_ = -1;
}

std::string error_text() {
  std::string s;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &s);
  H5Eclear2(H5E_DEFAULT);
  return s;
}

File File::open_image(std::string_view bytes, std::string origin) {
  if (bytes.size() < 8 || std::memcmp(bytes.data(), "\x89HDF\r\n\x1a\n", 8) != 0)
    throw IOError(origin + ": not an HDF5 file (no HDF5 signature at its start)");
  check_global_heaps(bytes, origin);
  const std::string clean = sanitized_image(bytes, origin);
  return open_trusted_image(clean, std::move(origin));
}

File File::open_trusted_image(std::string_view bytes, std::string origin) {
  quiet();
  if (bytes.size() < 8 || std::memcmp(bytes.data(), "\x89HDF\r\n\x1a\n", 8) != 0)
    throw IOError(origin + ": not an HDF5 file (no HDF5 signature at its start)");
  Id fapl(H5Pcreate(H5P_FILE_ACCESS));
  // The core driver keeps the file in memory; backing_store=0 never writes it anywhere. The image is copied in.
  if (H5Pset_fapl_core(fapl, 1 << 16, 0) < 0 || H5Pset_file_image(fapl, const_cast<char*>(bytes.data()), bytes.size()) < 0)
    fail(origin, "cannot set up an in-memory HDF5 file");
  static std::atomic<uint64_t> counter{0};
  std::string name = "nabla-image-" + std::to_string(counter++);  // a name HDF5 needs, never a file on disk
  File f;
  f.origin_ = std::move(origin);
  f.file_ = Id(H5Fopen(name.c_str(), H5F_ACC_RDONLY, fapl));
  if (!f.file_.valid()) fail(f.origin_, "not a readable HDF5 file (corrupt or truncated?)");
  return f;
}

File File::create(std::string origin) {
  quiet();
  Id fapl(H5Pcreate(H5P_FILE_ACCESS));
  if (H5Pset_fapl_core(fapl, 1 << 16, 0) < 0) fail(origin, "cannot set up an in-memory HDF5 file");
  static std::atomic<uint64_t> counter{0};
  std::string name = "nabla-new-" + std::to_string(counter++);
  File f;
  f.origin_ = std::move(origin);
  f.file_ = Id(H5Fcreate(name.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl));
  if (!f.file_.valid()) fail(f.origin_, "cannot create an in-memory HDF5 file");
  return f;
}

std::string File::image() const {
  if (H5Fflush(file_, H5F_SCOPE_GLOBAL) < 0) fail(origin_, "cannot flush the HDF5 file");
  ssize_t n = H5Fget_file_image(file_, nullptr, 0);
  if (n < 0) fail(origin_, "cannot take the HDF5 file's image");
  std::string s(size_t(n), '\0');
  if (H5Fget_file_image(file_, s.data(), s.size()) != n) fail(origin_, "cannot take the HDF5 file's image");
  return s;
}

std::vector<Child> children(hid_t group, const std::string& where) {
  H5G_info_t info;
  if (H5Gget_info(group, &info) < 0) fail(where, "cannot list the group");
  std::vector<Child> out;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    ssize_t len = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (len < 0) fail(where, "cannot read the name of member " + std::to_string(i));
    std::string name(size_t(len) + 1, '\0');
    if (H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT) < 0)
      fail(where, "cannot read the name of member " + std::to_string(i));
    name.resize(size_t(len));
    if (name.empty() || name.find('/') != std::string::npos || name == "." ) continue;
    H5L_info_t link;
    if (H5Lget_info(group, name.c_str(), &link, H5P_DEFAULT) < 0) fail(where, "cannot inspect member '" + name + "'");
    if (link.type != H5L_TYPE_HARD) continue;
    Id obj(H5Oopen(group, name.c_str(), H5P_DEFAULT));
    if (!obj.valid()) fail(where, "cannot open member '" + name + "'");
    H5I_type_t t = H5Iget_type(obj);
    out.push_back({name, t == H5I_GROUP ? ObjectKind::group : t == H5I_DATASET ? ObjectKind::dataset : ObjectKind::other});
  }
  return out;
}

bool exists(hid_t loc, const std::string& name) {
  quiet();
  htri_t r = H5Lexists(loc, name.c_str(), H5P_DEFAULT);
  H5Eclear2(H5E_DEFAULT);
  return r > 0;
}

Id open_group(hid_t loc, const std::string& name, const std::string& where) {
  Id g(H5Gopen2(loc, name.c_str(), H5P_DEFAULT));
  if (!g.valid()) fail(where, "cannot open group '" + name + "'");
  return g;
}

Id create_group(hid_t loc, const std::string& name, const std::string& where) {
  Id lcpl(H5Pcreate(H5P_LINK_CREATE));
  H5Pset_create_intermediate_group(lcpl, 1);
  Id g(H5Gcreate2(loc, name.c_str(), lcpl, H5P_DEFAULT, H5P_DEFAULT));
  if (!g.valid()) fail(where, "cannot create group '" + name + "'");
  return g;
}

Tensor read_dataset(hid_t loc, const std::string& name, const std::string& where_) {
  const std::string where = where_ + ": dataset '" + name + "'";
  Id ds(H5Dopen2(loc, name.c_str(), H5P_DEFAULT));
  if (!ds.valid()) fail(where, "cannot open it");
  Id space(H5Dget_space(ds));
  if (!space.valid()) fail(where, "cannot read its shape");
  H5S_class_t sclass = H5Sget_simple_extent_type(space);
  if (sclass != H5S_SCALAR && sclass != H5S_SIMPLE) fail(where, "has no data (null dataspace)");
  int nd = H5Sget_simple_extent_ndims(space);
  if (nd < 0) fail(where, "cannot read its rank");
  if (nd > Shape::kMaxDims)
    throw IOError(detail::concat(where, ": rank ", nd, " exceeds nabla's ", Shape::kMaxDims, " dimensions"));
  hsize_t dims[H5S_MAX_RANK];
  if (nd > 0 && H5Sget_simple_extent_dims(space, dims, nullptr) < 0) fail(where, "cannot read its shape");
  Shape shape;
  uint64_t numel = 1;
  for (int i = 0; i < nd; ++i) {
    if (dims[i] > uint64_t(std::numeric_limits<int64_t>::max()) ||
        (dims[i] != 0 && numel > std::numeric_limits<uint64_t>::max() / 64 / dims[i]))
      throw IOError(detail::concat(where, ": dimension ", dims[i], " is too large"));
    numel *= dims[i];
    shape.push_back(int64_t(dims[i]));
  }

  Id type(H5Dget_type(ds));
  if (!type.valid()) fail(where, "cannot read its element type");
  H5T_class_t cls = H5Tget_class(type);
  size_t width = H5Tget_size(type);
  DType dt;
  hid_t mem;
  Id enum_native;
  if (cls == H5T_FLOAT && (width == 2 || width == 4)) {
    dt = f32, mem = H5T_NATIVE_FLOAT;
  } else if (cls == H5T_FLOAT && width == 8) {
    dt = f64, mem = H5T_NATIVE_DOUBLE;
  } else if (cls == H5T_INTEGER) {
    bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
    if (!is_signed && width == 1) dt = u8, mem = H5T_NATIVE_UINT8;
    else if ((is_signed && width <= 4) || (!is_signed && width == 2)) dt = i32, mem = H5T_NATIVE_INT32;
    else if ((is_signed && width == 8) || (!is_signed && width == 4)) dt = i64, mem = H5T_NATIVE_INT64;
    else throw IOError(detail::concat(where, ": unsigned ", width * 8, "-bit integers have no nabla dtype"));
  } else if (cls == H5T_ENUM && width == 1) {
    // numpy bools (h5py stores them as an int8 enum FALSE/TRUE); read as 0/1 bytes.
    enum_native = Id(H5Tget_native_type(type, H5T_DIR_ASCEND));
    dt = u8, mem = enum_native;
  } else {
    throw IOError(detail::concat(where, ": element type (HDF5 class ", int(cls), ", ", width,
                                 " bytes) is not a float, integer or bool; nabla cannot read it"));
  }
  const uint64_t nbytes = numel * dtype_size(dt);
  const uint64_t stored = H5Dget_storage_size(ds);
  if (nbytes > kMaxExpansionFloor && nbytes > kMaxExpansion * stored)
    throw IOError(detail::concat(where, ": shape ", shape.str(), " needs ", nbytes, " bytes but the file stores ",
                                 stored, " for it (corrupt?)"));
  Tensor t = Tensor::empty(shape, dt);
  if (numel > 0 && H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.raw_data()) < 0)
    fail(where, "cannot read its data (corrupt or truncated?)");
  return t;
}

void write_dataset(hid_t loc, const std::string& name, const Tensor& t_, const std::string& where) {
  Tensor t = t_.contiguous();
  hid_t file_type, mem_type;
  switch (t.dtype()) {
    case DType::f32: file_type = H5T_IEEE_F32LE, mem_type = H5T_NATIVE_FLOAT; break;
    case DType::f64: file_type = H5T_IEEE_F64LE, mem_type = H5T_NATIVE_DOUBLE; break;
    case DType::i32: file_type = H5T_STD_I32LE, mem_type = H5T_NATIVE_INT32; break;
    case DType::i64: file_type = H5T_STD_I64LE, mem_type = H5T_NATIVE_INT64; break;
    case DType::u8: file_type = H5T_STD_U8LE, mem_type = H5T_NATIVE_UINT8; break;
    default: throw IOError(where + ": dataset '" + name + "': unsupported dtype");
  }
  std::vector<hsize_t> dims(t.shape().begin(), t.shape().end());
  Id space(t.dim() == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(t.dim(), dims.data(), nullptr));
  if (!space.valid()) fail(where, "cannot describe the shape of dataset '" + name + "'");
  Id ds(H5Dcreate2(loc, name.c_str(), file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  if (!ds.valid()) fail(where, "cannot create dataset '" + name + "'");
  if (t.numel() > 0 && H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.raw_data()) < 0)
    fail(where, "cannot write dataset '" + name + "'");
}

std::optional<std::vector<std::string>> read_string_attr(hid_t obj, const std::string& name,
                                                         const std::string& where_) {
  quiet();
  const std::string where = where_ + ": attribute '" + name + "'";
  htri_t has = H5Aexists(obj, name.c_str());
  if (has < 0) fail(where, "cannot look it up");
  if (has == 0) return std::nullopt;
  Id attr(H5Aopen(obj, name.c_str(), H5P_DEFAULT));
  if (!attr.valid()) fail(where, "cannot open it");
  Id type(H5Aget_type(attr));
  Id space(H5Aget_space(attr));
  if (!type.valid() || !space.valid()) fail(where, "cannot read its type");
  hssize_t n = H5Sget_simple_extent_npoints(space);
  // h5py stores an empty Python list as an empty float64 array (Keras 2's `top_level_model_weights`).
  if (H5Tget_class(type) != H5T_STRING && n == 0) return std::vector<std::string>{};
  if (H5Tget_class(type) != H5T_STRING) throw IOError(where + ": expected a string attribute");
  if (n < 0 || H5Sget_simple_extent_ndims(space) > 1) fail(where, "expected a string or a 1-D list of strings");
  if (n > (hssize_t(1) << 24)) throw IOError(where + ": implausibly many strings");
  std::vector<std::string> out;
  htri_t vlen = H5Tis_variable_str(type);
  if (vlen < 0) fail(where, "cannot read its type");
  if (vlen) {
    Id mem(H5Tcopy(H5T_C_S1));
    H5Tset_size(mem, H5T_VARIABLE);
    H5Tset_cset(mem, H5Tget_cset(type));
    std::vector<char*> ptrs(size_t(n), nullptr);
    const bool ok = n == 0 || H5Aread(attr, mem, ptrs.data()) >= 0;
    // A read that fails part way has already allocated some of the strings.
    for (char* p : ptrs) {
      if (ok) out.emplace_back(p ? p : "");
      if (p) H5free_memory(p);
    }
    if (!ok) fail(where, "cannot read it");
  } else {
    size_t width = H5Tget_size(type);
    if (width == 0 || uint64_t(width) * uint64_t(n) > (uint64_t(1) << 31)) throw IOError(where + ": implausible size");
    Id mem(H5Tcopy(type));
    std::string buf(width * size_t(n), '\0');
    if (n > 0 && H5Aread(attr, mem, buf.data()) < 0) fail(where, "cannot read it");
    for (hssize_t i = 0; i < n; ++i) {
      std::string s = buf.substr(size_t(i) * width, width);
      size_t end = s.find('\0');
      if (end != std::string::npos) s.resize(end);
      while (!s.empty() && s.back() == ' ' && H5Tget_strpad(type) == H5T_STR_SPACEPAD) s.pop_back();
      out.push_back(std::move(s));
    }
  }
  return out;
}

void write_string_attr(hid_t obj, const std::string& name, const std::string& value, const std::string& where) {
  Id type(H5Tcopy(H5T_C_S1));
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  Id space(H5Screate(H5S_SCALAR));
  Id attr(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT));
  if (!attr.valid()) fail(where, "cannot create attribute '" + name + "'");
  const char* p = value.c_str();
  if (H5Awrite(attr, type, &p) < 0) fail(where, "cannot write attribute '" + name + "'");
}

void write_string_list_attr(hid_t obj, const std::string& name, const std::vector<std::string>& values,
                            const std::string& where) {
  if (values.size() == 1) return write_string_attr(obj, name, values[0], where);
  Id type(values.empty() ? H5Tcopy(H5T_IEEE_F64LE) : H5Tcopy(H5T_C_S1));
  if (!values.empty()) {
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
  }
  const hsize_t n = values.size();
  Id space(H5Screate_simple(1, &n, nullptr));
  Id attr(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT));
  if (!attr.valid()) fail(where, "cannot create attribute '" + name + "'");
  if (values.empty()) return;
  std::vector<const char*> ptrs;
  for (const std::string& v : values) ptrs.push_back(v.c_str());
  if (H5Awrite(attr, type, ptrs.data()) < 0) fail(where, "cannot write attribute '" + name + "'");
}

}  // namespace nabla::io::h5
