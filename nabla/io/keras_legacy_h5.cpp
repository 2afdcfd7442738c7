#include "nabla/io/keras_legacy_h5.h"

#include "nabla/core/atomic_file.h"
#include "nabla/core/error.h"
#include "nabla/io/hdf5_file.h"

namespace nabla::io {
namespace {

std::string string_attr(hid_t obj, const std::string& name, const std::string& where) {
  auto v = h5::read_string_attr(obj, name, where);
  if (!v) return "";
  if (v->size() != 1) throw IOError(where + ": attribute '" + name + "' should be one string");
  return (*v)[0];
}

nlohmann::json json_attr(hid_t obj, const std::string& name, const std::string& where) {
  std::string text = string_attr(obj, name, where);
  if (text.empty()) return nullptr;
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw IOError(where + ": attribute '" + name + "' is not valid JSON: " + e.what());
  }
}

std::vector<std::string> names_attr(hid_t obj, const std::string& name, const std::string& where) {
  auto v = h5::read_string_attr(obj, name, where);
  if (!v) throw IOError(where + ": attribute '" + name + "' is missing (not a Keras H5 file?)");
  return *v;
}

std::vector<NamedTensor> read_named(hid_t group, const std::string& where) {
  std::vector<NamedTensor> out;
  // A name listed without its dataset fails in read_dataset, naming the dataset.
  for (const auto& n : names_attr(group, "weight_names", where)) out.emplace_back(n, h5::read_dataset(group, n, where));
  return out;
}

}  // namespace

LegacyKerasH5 parse_legacy_keras_h5(std::string_view image, const std::string& origin) {
  h5::File f = h5::File::open_image(image, origin);
  LegacyKerasH5 m;
  m.model_config = json_attr(f.root(), "model_config", origin);
  m.training_config = json_attr(f.root(), "training_config", origin);
  m.keras_version = string_attr(f.root(), "keras_version", origin);
  m.backend = string_attr(f.root(), "backend", origin);

  h5::Id model_weights;
  hid_t weights_root = f.root();
  std::string where = origin;
  if (h5::exists(f.root(), "model_weights")) {
    model_weights = h5::open_group(f.root(), "model_weights", origin);
    weights_root = model_weights;
    where = origin + ": group 'model_weights'";
  } else if (!h5::read_string_attr(f.root(), "layer_names", origin)) {
    throw IOError(origin + ": not a legacy Keras H5 file (no 'model_weights' group and no 'layer_names' attribute)");
  }
  if (m.keras_version.empty()) m.keras_version = string_attr(weights_root, "keras_version", where);
  if (m.backend.empty()) m.backend = string_attr(weights_root, "backend", where);
  for (const auto& layer : names_attr(weights_root, "layer_names", where)) {
    if (!h5::exists(weights_root, layer))
      throw IOError(where + ": layer '" + layer + "' is listed in layer_names but has no group");
    h5::Id g = h5::open_group(weights_root, layer, where);
    m.layers.push_back({layer, read_named(g, where + ": layer '" + layer + "'")});
  }
  if (h5::exists(f.root(), "optimizer_weights")) {
    h5::Id g = h5::open_group(f.root(), "optimizer_weights", origin);
    m.optimizer_weights = read_named(g, origin + ": group 'optimizer_weights'");
  }
  return m;
}

LegacyKerasH5 read_legacy_keras_h5(const std::string& path) {
  return parse_legacy_keras_h5(read_file(path, "load_model"), path);
}

}  // namespace nabla::io
