// io/keras_legacy_model on JSON, as load_model("m.h5") runs it after reading a legacy file's root attributes: the
// input is {"model_config": <Keras 2 config>, "training_config": <optional>}. The config is upgraded to Keras 3's
// schema (upgrade_keras2_model_config), rebuilt (build_keras2_model), compiled from the training_config, and the
// model exercised (model_fuzz.h). Seeds: fuzz/make_model_config_corpus.py (tf_keras 2.21's own configs).
#include <nlohmann/json.hpp>

#include "fuzz_util.h"
#include "model_fuzz.h"
#include "nabla/io/keras_legacy_model.h"

// Layer sizes come from the input: an allocation too large must fail as the library handles it (malloc returning
// null), not abort inside ASan.
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("model_config")) return -1;  // not what the harness feeds the loader
  nabla::fuzz::expect_clean([&] {
    (void)nabla::io::upgrade_keras2_model_config(j["model_config"], "fuzz.h5");
    std::shared_ptr<nabla::Model> model = nabla::io::build_keras2_model(j["model_config"], "fuzz.h5");
    if (j.contains("training_config") && !j["training_config"].is_null())
      nabla::io::compile_from_keras2_training_config(*model, j["training_config"], "fuzz.h5: training_config");
    nabla::fuzz::exercise_model(model);
  });
  return 0;
}
