#pragma once
// Legacy Keras H5 files (Keras 2 / tf_keras `model.save("m.h5")` and `save_weights("w.h5")`), read only:
// root attributes `model_config` and `training_config` (JSON text), `keras_version`, `backend`; group
// `model_weights` with attribute `layer_names`, one group per layer with attribute `weight_names`
// ("dense/kernel:0", ...) whose datasets sit at model_weights/<layer>/<weight name>; group `optimizer_weights`
// with its own `weight_names`. A weights-only file has `layer_names` on the root instead of `model_weights`.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nabla/core/tensor.h"

namespace nabla::io {

using NamedTensor = std::pair<std::string, Tensor>;

struct LegacyLayerWeights {
  std::string layer_name;
  std::vector<NamedTensor> weights;  // in `weight_names` order, names as stored ("dense/kernel:0")
};

struct LegacyKerasH5 {
  nlohmann::json model_config;      // null for weights-only files
  nlohmann::json training_config;   // null when the model was not compiled
  std::string keras_version, backend;
  std::vector<LegacyLayerWeights> layers;     // in `layer_names` order (layers without weights included)
  std::vector<NamedTensor> optimizer_weights; // in `weight_names` order
};

LegacyKerasH5 read_legacy_keras_h5(const std::string& path);
// From the file's bytes; `origin` names it in errors. Also the fuzz entry point.
LegacyKerasH5 parse_legacy_keras_h5(std::string_view image, const std::string& origin);

}  // namespace nabla::io
