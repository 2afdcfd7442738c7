#include "nabla/io/keras_archive.h"

#include <ctime>

#include "nabla/core/atomic_file.h"
#include "nabla/core/error.h"
#include "nabla/io/zip_archive.h"

namespace nabla::io {
namespace {

constexpr const char* kMetadata = "metadata.json";
constexpr const char* kConfig = "config.json";
constexpr const char* kWeights = "model.weights.h5";
constexpr const char* kWeightsNpz = "model.weights.npz";

nlohmann::json parse_json_entry(const ZipReader& zip, const std::string& entry) {
  std::string text = zip.read(entry);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw IOError(detail::concat("'", zip.origin(), "': entry '", entry, "' is not valid JSON: ", e.what()));
  }
}

}  // namespace

nlohmann::json keras_metadata() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);  // Keras uses datetime.now(): local time
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d@%H:%M:%S", &tm);
  return {{"keras_version", kKerasFormatVersion}, {"date_saved", buf}};
}

void write_keras_archive(const std::string& path, const KerasArchive& a) {
  if (!a.config.is_object())
    throw ValueError("write_keras_archive('" + path + "'): the config must be a JSON object, got " +
                     std::string(a.config.type_name()));
  ZipWriter zip(path);
  const nlohmann::json& meta = a.metadata.is_null() || a.metadata.empty() ? keras_metadata() : a.metadata;
  // Keras's entry order: metadata, config, weights, assets.
  zip.add(kMetadata, meta.dump());
  zip.add(kConfig, a.config.dump());
  zip.add(kWeights, write_keras_weights_h5(a.weights));
  for (const auto& [name, bytes] : a.assets) {
    if (name.rfind("assets/", 0) != 0)
      throw ValueError("write_keras_archive('" + path + "'): asset entry '" + name + "' must start with 'assets/'");
    zip.add(name, bytes);
  }
  zip.close();
}

KerasArchive parse_keras_archive(std::string bytes, const std::string& origin) {
  ZipReader zip = ZipReader::from_bytes(std::move(bytes), origin);
  KerasArchive a;
  if (!zip.contains(kConfig))
    throw IOError("'" + origin + "' is not a .keras archive: it has no config.json");
  a.config = parse_json_entry(zip, kConfig);
  // metadata.json is informational; Keras itself loads archives without reading it.
  if (zip.contains(kMetadata)) a.metadata = parse_json_entry(zip, kMetadata);
  if (zip.contains(kWeights)) {
    a.weights = read_keras_weights_h5(zip.read(kWeights), origin + ": " + kWeights);
  } else if (zip.contains(kWeightsNpz)) {
    throw IOError("'" + origin + "' stores its weights as model.weights.npz (Keras's weights_format=\"npz\"); "
                  "nabla reads model.weights.h5 only: re-save it in Keras with the default format");
  } else {
    throw IOError("'" + origin + "' has no model.weights.h5 entry");
  }
  for (const auto& name : zip.entries())
    if (name.rfind("assets/", 0) == 0 && name.back() != '/') a.assets[name] = zip.read(name);
  return a;
}

KerasArchive read_keras_archive(const std::string& path) {
  return parse_keras_archive(read_file(path, "load_model"), path);
}

}  // namespace nabla::io
