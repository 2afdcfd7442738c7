#pragma once
// What tensorflow_model_server reads from its config files, as nabla-serve's structs:
//   --model_config_file: ModelServerConfig { model_config_list { config { name base_path model_platform
//     model_version_policy { latest { num_versions } | all {} | specific { versions... } }
//     version_labels { key value } } ... } }
//   --batching_parameters_file: BatchingParameters { max_batch_size { value } batch_timeout_micros { value }
//     max_enqueued_batches { value } num_batch_threads { value } allowed_batch_sizes... ... }
// Unknown fields are errors naming the file and line (TF Serving's text-format parser does the same).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace nabla::serve {

struct VersionPolicy {
  enum class Kind { kLatest, kAll, kSpecific };
  Kind kind = Kind::kLatest;
  int64_t num_versions = 1;        // latest
  std::vector<int64_t> versions;   // specific
};

struct ModelConfig {
  std::string name;
  std::string base_path;           // a directory of integer-named version directories
  std::string model_platform = "tensorflow";
  VersionPolicy version_policy;
  std::map<std::string, int64_t> version_labels;
};

// TF Serving's defaults (tensorflow_serving/servables/tensorflow/session_bundle_config.proto).
struct BatchingParameters {
  int64_t max_batch_size = 1000;
  int64_t batch_timeout_micros = 0;
  int64_t max_enqueued_batches = 10;
  int64_t num_batch_threads = 0;   // 0: the number of CPUs
  std::vector<int64_t> allowed_batch_sizes;  // empty: any size up to max_batch_size
  bool pad_variable_length_inputs = false;
};

// Throw ValueError "<source>:<line>: ..." for syntax errors, unknown fields and invalid values.
std::vector<ModelConfig> parse_model_config_list(const std::string& text, const std::string& source);
BatchingParameters parse_batching_parameters(const std::string& text, const std::string& source);
// Reads a whole file; throws IOError naming it.
std::string read_text_file(const std::string& path);

}  // namespace nabla::serve
