#pragma once
// A thin layer over the HDF5 C API shared by the Keras readers and writers: files opened from and written to
// memory images (a .keras archive holds its model.weights.h5 inside the zip, so nothing touches a temp file),
// datasets <-> Tensors, string attributes, and HDF5's error stack turned into IOError text. Internal to io/.
#include <hdf5.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nabla/core/tensor.h"

namespace nabla::io::h5 {

// Owns one HDF5 identifier and closes it with the matching H5?close.
class Id {
 public:
  Id() = default;
  explicit Id(hid_t id) : id_(id) {}
  Id(Id&& o) noexcept : id_(o.id_) { o.id_ = -1; }
  Id& operator=(Id&& o) noexcept;
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;
  ~Id() { reset(); }
  hid_t get() const { return id_; }
  operator hid_t() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset();

 private:
  hid_t id_ = -1;
};

// HDF5's error stack of the last failed call, as one line (and cleared). HDF5's own printing to stderr is off.
std::string error_text();

// An HDF5 file held in memory. `origin` names it in errors ("m.keras: model.weights.h5").
class File {
 public:
  // An image from outside: read through hdf5_sandbox.h's child process, which hands back a clean copy.
  static File open_image(std::string_view bytes, std::string origin);
  // An image libhdf5 itself wrote (the sandbox's copy), or one read inside the sandbox: opened directly.
  static File open_trusted_image(std::string_view bytes, std::string origin);
  static File create(std::string origin);
  // The complete file as bytes (after flushing), for writing into an archive or to disk.
  std::string image() const;
  hid_t root() const { return file_.get(); }
  const std::string& origin() const { return origin_; }

 private:
  Id file_;
  std::string origin_;
};

enum class ObjectKind { group, dataset, other };
struct Child {
  std::string name;
  ObjectKind kind;
};
// The hard-linked members of a group, in name order (soft and external links are not followed).
std::vector<Child> children(hid_t group, const std::string& where);

Id open_group(hid_t loc, const std::string& name, const std::string& where);
// Creates `name` and any missing groups above it.
Id create_group(hid_t loc, const std::string& name, const std::string& where);
bool exists(hid_t loc, const std::string& name);

// Reads a dataset into a tensor: float16/32 -> f32, float64 -> f64, integers -> i32/i64, uint8 and bool -> u8.
Tensor read_dataset(hid_t loc, const std::string& name, const std::string& where);
// Writes a tensor as a little-endian dataset of its dtype (0-d tensors as scalar datasets, as h5py does).
void write_dataset(hid_t loc, const std::string& name, const Tensor& t, const std::string& where);

// A string attribute (fixed or variable length, scalar or 1-D), or nullopt when absent.
std::optional<std::vector<std::string>> read_string_attr(hid_t obj, const std::string& name, const std::string& where);
// A scalar variable-length UTF-8 string attribute, as h5py writes a Python str.
void write_string_attr(hid_t obj, const std::string& name, const std::string& value, const std::string& where);
// A list as read_string_attr returns it: one string as a scalar, several as a 1-D array of variable-length
// strings, none as the empty float64 array h5py writes for an empty Python list.
void write_string_list_attr(hid_t obj, const std::string& name, const std::vector<std::string>& values,
                            const std::string& where);

}  // namespace nabla::io::h5
