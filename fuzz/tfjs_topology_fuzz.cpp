// io/tfjs_model's mapping of a TF.js Layers model.json onto nabla's model (build_tfjs_model, what load_model runs
// after reading the files): the topology through the Keras 2 upgrade, the weights matched by name and shape, the
// trainingConfig (TF.js's camelCase optimizer) and optimizer weights. The input is the model.json; the weights
// are zeros of the shapes and dtypes its weightsManifest names (tfjs_model_fuzz fuzzes the shard decoding). Seeds:
// fuzz/make_model_config_corpus.py.
#include <nlohmann/json.hpp>

#include "fuzz_util.h"
#include "model_fuzz.h"
#include "nabla/core/shape.h"
#include "nabla/io/tfjs_model.h"
#include "nabla/io/tfjs_weights.h"

extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }

namespace {

// Zeros for the manifest's weights, skipping entries that are not {name, shape, dtype} or are too large (the
// mapping then reports the weight as missing, which it must do cleanly too).
std::vector<nabla::io::TfjsWeight> zero_weights(const nlohmann::json& manifest) {
  std::vector<nabla::io::TfjsWeight> r;
  if (!manifest.is_array()) return r;
  for (const auto& group : manifest) {
    if (!group.is_object() || !group.contains("weights") || !group["weights"].is_array()) continue;
    for (const auto& w : group["weights"]) {
      if (!w.is_object() || !w.contains("name") || !w["name"].is_string() || !w.contains("shape") ||
          !w["shape"].is_array() || w["shape"].size() > 8)
        continue;
      std::vector<int64_t> dims;
      int64_t n = 1;
      for (const auto& d : w["shape"]) {
        if (!d.is_number_integer() || d.get<int64_t>() < 0 || d.get<int64_t>() > (1 << 16)) break;
        dims.push_back(d.get<int64_t>());
        n *= dims.back();
        if (n > (1 << 16)) break;
      }
      if (dims.size() != w["shape"].size() || n > (1 << 16)) continue;
      const std::string dtype = w.value("dtype", nlohmann::json("float32")).is_string() ? w.value("dtype", "float32")
                                                                                        : "float32";
      const nabla::DType dt = dtype == "int32" ? nabla::i32 : nabla::f32;
      const std::string grp = w.contains("group") && w["group"].is_string() ? w["group"].get<std::string>() : "";
      r.push_back({w["name"].get<std::string>(), nabla::Tensor::zeros(nabla::Shape(dims), dt), grp});
    }
  }
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("modelTopology")) return -1;  // not a model.json
  nabla::io::TfjsModel t;
  t.model_topology = j["modelTopology"];
  if (j.contains("trainingConfig")) t.extra["trainingConfig"] = j["trainingConfig"];
  t.weights = zero_weights(j.value("weightsManifest", nlohmann::json()));
  nabla::fuzz::expect_clean([&] {
    nabla::fuzz::exercise_model(nabla::io::build_tfjs_model(t, "fuzz/model.json", /*compile=*/true));
  });
  return 0;
}
