#include "nabla/train/weights_io.h"

#include <bit>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "nabla/autograd/grad_mode.h"
#include "nabla/train/model.h"

namespace nabla {
namespace {

static_assert(std::endian::native == std::endian::little, "weight files are little-endian");
constexpr char kMagic[8] = {'N', 'A', 'B', 'L', 'A', 'W', '0', '1'};

DType dtype_from_name(const std::string& s, const std::string& path) {
  for (DType t : {f32, f64, i32, i64, u8})
    if (s == dtype_name(t)) return t;
  throw IOError("load_weights: '" + path + "' has a weight of unknown dtype '" + s + "'");
}

// The part after the layer name: "dense_3/kernel" -> "kernel".
std::string weight_part(const std::string& full) {
  size_t p = full.find('/');
  return p == std::string::npos ? full : full.substr(p + 1);
}

nlohmann::json model_config(const Model& model) {
  nlohmann::json layers = nlohmann::json::array();
  auto shapes = model.layer_output_shapes();
  for (const auto& l : model.layers()) {
    nlohmann::json j = {{"name", l->name()}, {"type", l->type()}, {"config", l->get_config()}};
    for (const auto& [sl, s] : shapes)
      if (sl == l) j["output_shape"] = s.vec();
    layers.push_back(j);
  }
  nlohmann::json c = {{"layers", layers}};
  if (model.compiled())
    c["optimizer"] = {{"name", model.optimizer().name()},
                      {"learning_rate", model.optimizer().learning_rate()},
                      {"iterations", model.optimizer().iterations()}};
  return c;
}

}  // namespace

std::vector<std::pair<std::string, Tensor>> named_weights(const Model& model) {
  std::vector<std::pair<std::string, Tensor>> r;
  for (const auto& l : model.layers()) {
    NABLA_CHECK(l->built(), "model '", model.name(), "': layer '", l->name(), "' (", l->type(),
                ") is not built yet; call the model on data, fit it, or give the first layer an input shape");
    for (const auto& w : l->weights()) r.emplace_back(l->name() + "/" + w.name, w.value);
  }
  return r;
}

void save_weights(const Model& model, const std::string& path, bool include_config) {
  auto weights = named_weights(model);
  nlohmann::json entries = nlohmann::json::array();
  uint64_t offset = 0;
  std::vector<Tensor> data;
  for (const auto& [name, t] : weights) {
    data.push_back(t.contiguous());
    entries.push_back({{"name", name}, {"dtype", dtype_name(t.dtype())}, {"shape", t.shape().vec()},
                       {"offset", offset}, {"nbytes", t.nbytes()}});
    offset += t.nbytes();
  }
  nlohmann::json header = {{"format", "nabla-weights"}, {"version", 1}, {"model", model.name()}, {"weights", entries}};
  if (include_config) header["config"] = model_config(model);
  std::string h = header.dump();

  std::filesystem::path target(path);
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path());
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw IOError("save_weights: cannot open '" + tmp + "' for writing");
    uint64_t hl = h.size();
    f.write(kMagic, sizeof kMagic);
    f.write(reinterpret_cast<const char*>(&hl), sizeof hl);
    f.write(h.data(), std::streamsize(h.size()));
    for (const Tensor& t : data) f.write(static_cast<const char*>(t.raw_data()), std::streamsize(t.nbytes()));
    f.flush();
    if (!f) throw IOError("save_weights: writing '" + tmp + "' failed (disk full?)");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw IOError("save_weights: cannot rename '" + tmp + "' to '" + path + "': " + ec.message());
}

void load_weights(Model& model, const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw IOError("load_weights: cannot open '" + path + "'");
  char magic[8];
  uint64_t hl = 0;
  f.read(magic, sizeof magic);
  f.read(reinterpret_cast<char*>(&hl), sizeof hl);
  if (!f || std::memcmp(magic, kMagic, sizeof kMagic) != 0)
    throw IOError("load_weights: '" + path + "' is not a nabla weights file (bad magic)");
  f.seekg(0, std::ios::end);
  const uint64_t file_size = uint64_t(f.tellg());
  const uint64_t data_start = 16 + hl;
  if (hl > file_size || data_start > file_size)
    throw IOError("load_weights: '" + path + "' is truncated (header of " + std::to_string(hl) + " bytes, file of " +
                  std::to_string(file_size) + ")");
  std::string h(hl, '\0');
  f.seekg(16);
  f.read(h.data(), std::streamsize(hl));
  // The header's fields, checked for presence and JSON type: a malformed file is an IOError naming it, never a
  // JSON library exception (found by fuzz/weights_fuzz.cpp).
  struct Entry {
    std::string name, dtype;
    std::vector<int64_t> shape;
    uint64_t offset, nbytes;
  };
  std::vector<Entry> entries;
  auto malformed = [&](const std::string& why) {
    return IOError("load_weights: '" + path + "' has a malformed header: " + why);
  };
  // Sizes must be JSON integers >= 0: converting a float such as 1e300 or -1.5 to an integer is undefined.
  auto size_value = [&](const nlohmann::json& v, const std::string& what) -> uint64_t {
    if (!v.is_number_unsigned()) throw malformed(what + " is " + v.dump() + ", not an integer >= 0");
    return v.get<uint64_t>();
  };
  try {
    nlohmann::json header = nlohmann::json::parse(h);
    if (!header.is_object() || header.value("format", "") != "nabla-weights" ||
        header.value("version", nlohmann::json()) != nlohmann::json(1))
      throw IOError("load_weights: '" + path + "' is not a version-1 nabla weights file");
    const auto& list = header.at("weights");
    if (!list.is_array()) throw malformed("\"weights\" is not a list");
    for (const auto& e : list) {
      const std::string where = "weight " + std::to_string(entries.size());
      if (!e.is_object()) throw malformed(where + " is not an object");
      Entry entry{e.at("name").get<std::string>(), e.at("dtype").get<std::string>(), {},
                  size_value(e.at("offset"), where + "'s offset"), size_value(e.at("nbytes"), where + "'s nbytes")};
      const auto& shape = e.at("shape");
      if (!shape.is_array() || shape.size() > size_t(Shape::kMaxDims))
        throw malformed(where + "'s shape " + shape.dump() + " is not a list of at most 8 sizes");
      for (const auto& d : shape) {
        uint64_t v = size_value(d, where + "'s dimension");
        if (v > uint64_t(INT64_MAX)) throw malformed(where + "'s dimension " + std::to_string(v) + " is too large");
        entry.shape.push_back(int64_t(v));
      }
      entries.push_back(std::move(entry));
    }
  } catch (const nlohmann::json::exception& e) {
    throw IOError("load_weights: '" + path + "' has a malformed header: " + e.what());
  }

  model.build_if_possible();
  auto weights = named_weights(model);
  NABLA_CHECK_SHAPE(entries.size() == weights.size(), "load_weights: '", path, "' holds ", entries.size(),
                    " weights but model '", model.name(), "' has ", weights.size());
  // Validate everything before writing anything, so a mismatch leaves the model untouched.
  std::vector<Tensor> loaded;
  const uint64_t data_size = file_size - data_start;
  for (size_t i = 0; i < weights.size(); ++i) {
    const Entry& e = entries[i];
    const auto& [name, dst] = weights[i];
    const std::string& file_name = e.name;
    Shape file_shape(e.shape);
    NABLA_CHECK_SHAPE(weight_part(file_name) == weight_part(name), "load_weights: weight ", i, " of '", path,
                      "' is '", file_name, "' but the model's is '", name, "'");
    NABLA_CHECK_SHAPE(file_shape == dst.shape(), "load_weights: weight '", name, "' has shape ", dst.shape().str(),
                      " in the model but '", file_name, "' has shape ", file_shape.str(), " in '", path, "'");
    DType dt = dtype_from_name(e.dtype, path);
    const uint64_t off = e.offset, nb = e.nbytes;
    // Compared without adding, so that offsets near 2^64 cannot wrap around into the file.
    if (nb != uint64_t(file_shape.numel()) * dtype_size(dt) || off > data_size || nb > data_size - off)
      throw IOError("load_weights: '" + path + "' is truncated or corrupt at weight '" + file_name + "'");
    Tensor t = make_tensor(file_shape, dt);
    f.seekg(std::streamoff(data_start + off));
    f.read(static_cast<char*>(t.raw_data()), std::streamsize(nb));
    if (!f) throw IOError("load_weights: reading weight '" + file_name + "' from '" + path + "' failed");
    loaded.push_back(t);
  }
  NoGradGuard ng;
  for (size_t i = 0; i < weights.size(); ++i) {
    Tensor dst = weights[i].second;
    dst.copy_(loaded[i]);
  }
}

namespace {
bool keras_weights_path(const std::string& p) {
  const std::string ext = ".weights.h5";
  return p.size() >= ext.size() && p.compare(p.size() - ext.size(), ext.size(), ext) == 0;
}
}  // namespace

void Model::save_weights(const std::string& path) const {
  if (keras_weights_path(path))
    save_weights_h5(*this, path);
  else
    nabla::save_weights(*this, path);
}
void Model::load_weights(const std::string& path) {
  if (keras_weights_path(path))
    load_weights_h5(*this, path);
  else
    nabla::load_weights(*this, path);
}

std::vector<Tensor> Model::get_weights() const {
  std::vector<Tensor> r;
  for (const auto& [name, t] : named_weights(*this)) r.push_back(t.detach().clone());
  return r;
}

void Model::set_weights(const std::vector<Tensor>& values) {
  auto weights = named_weights(*this);
  NABLA_CHECK_SHAPE(values.size() == weights.size(), "set_weights: got ", values.size(), " tensors but model '", name_,
                    "' has ", weights.size(), " weights");
  for (size_t i = 0; i < values.size(); ++i)
    NABLA_CHECK_SHAPE(values[i].shape() == weights[i].second.shape(), "set_weights: weight '", weights[i].first,
                      "' has shape ", weights[i].second.shape().str(), " but the value given has shape ",
                      values[i].shape().str());
  NoGradGuard ng;
  for (size_t i = 0; i < values.size(); ++i) weights[i].second.copy_(values[i]);
}

}  // namespace nabla
