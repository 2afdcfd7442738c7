#pragma once
// TensorFlow.js Layers files: model.json ({"format": "layers-model", "generatedBy", "convertedBy",
// "modelTopology", "weightsManifest", ...}) beside binary shard files. weightsManifest is a list of groups
// {"paths": [shard files], "weights": [{"name", "shape", "dtype"[, "group"][, "quantization"]}]}; a group's
// shards, concatenated, hold its weights back to back, little-endian, in manifest order (a weight may span two
// shards). The topology is kept as opaque JSON: mapping it onto Layers is the model-level loader's job.
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "nabla/core/tensor.h"

namespace nabla::io {

// tfjs-converter's default shard size (--weight_shard_size_bytes, 4 MiB).
inline constexpr size_t kTfjsShardBytes = size_t(4) << 20;

struct TfjsWeight {
  std::string name;   // "dense_Dense1/kernel"
  Tensor value;       // float32 -> f32, int32 -> i32, bool -> u8; quantized weights come back dequantized (f32)
  std::string group;  // the manifest entry's optional "group" ("model", "optimizer"), "" when absent
};

struct TfjsModel {
  std::string format = "layers-model";
  std::string generated_by;           // "TensorFlow.js tfjs-layers v4.22.0", "nabla 0.1.0"
  nlohmann::json converted_by;        // string or null
  nlohmann::json model_topology;      // opaque
  nlohmann::json extra = nlohmann::json::object();  // other keys (trainingConfig, userDefinedMetadata, ...) as read
  std::vector<TfjsWeight> weights;
};

// Returns a shard's bytes given its path as written in the manifest.
using ShardReader = std::function<std::string(const std::string& path)>;

// Decodes the weights of a weightsManifest; `origin` names the model.json in errors.
std::vector<TfjsWeight> decode_tfjs_weights(const nlohmann::json& manifest, const ShardReader& read_shard,
                                            const std::string& origin);
// Packs weights into one manifest group of shards named "<prefix>-shard<i>of<n>.bin" (tfjs-converter's names).
struct TfjsShards {
  nlohmann::json manifest;                                   // the weightsManifest array
  std::vector<std::pair<std::string, std::string>> shards;   // file name -> bytes
};
TfjsShards encode_tfjs_weights(const std::vector<TfjsWeight>& weights, size_t shard_bytes = kTfjsShardBytes,
                               const std::string& prefix = "group1");

// Parses model.json text and reads its shards through `read_shard`. Also the fuzz entry point.
TfjsModel parse_tfjs_model(std::string_view model_json, const ShardReader& read_shard, const std::string& origin);
// `path` is a model.json file (any name ending in .json) or a directory holding model.json; shards are read
// from beside it. Shard paths must be relative and stay inside that directory.
TfjsModel read_tfjs_model(const std::string& path);
// Writes the shards, then model.json, each through a temporary name. `path` as for read_tfjs_model.
void write_tfjs_model(const std::string& path, const TfjsModel& model, size_t shard_bytes = kTfjsShardBytes);

}  // namespace nabla::io
