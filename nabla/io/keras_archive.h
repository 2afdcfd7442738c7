#pragma once
// The .keras container (Keras 3's own format): a zip of metadata.json ({"keras_version", "date_saved"}),
// config.json (the model's serialized config) and model.weights.h5 (keras_weights_h5.h), plus any "assets/..."
// entries. This level knows nothing of layers: configs are JSON and weights are tensors by Keras path, so that
// save_model/load_model map Models onto it.
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "nabla/io/keras_weights_h5.h"

namespace nabla::io {

// The Keras version whose layout nabla writes and was checked against (metadata.json's keras_version).
inline constexpr const char* kKerasFormatVersion = "3.15.1";

struct KerasArchive {
  nlohmann::json metadata;   // keras_version, date_saved (and whatever else the writer put there)
  nlohmann::json config;     // {"module", "class_name", "config", "registered_name", "build_config", ...}
  KerasWeights weights;
  std::map<std::string, std::string> assets;  // entry name ("assets/...") -> bytes, kept as they are
};

// metadata.json as Keras writes it: {"keras_version": kKerasFormatVersion, "date_saved": "YYYY-mm-dd@HH:MM:SS"}.
nlohmann::json keras_metadata();

// Writes `path` through a temporary name: a failed save leaves any previous file untouched. An empty
// `metadata` is replaced by keras_metadata().
void write_keras_archive(const std::string& path, const KerasArchive& archive);
// Reads a .keras file; errors name the file and the entry (missing config.json, malformed JSON, weights).
KerasArchive read_keras_archive(const std::string& path);
// The same from the archive's bytes; `origin` names it in errors. Also the fuzz entry point.
KerasArchive parse_keras_archive(std::string bytes, const std::string& origin);

}  // namespace nabla::io
