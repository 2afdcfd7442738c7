#pragma once
// Shared by the model-level fuzz targets (keras2_model_config_fuzz, tfjs_topology_fuzz): what is done with a
// model that a config rebuilt, so that every mapping the loaders make is exercised past the build.
#include <memory>
#include <sstream>

#include "nabla/train/model.h"
#include "nabla/train/model_config.h"

namespace nabla::fuzz {

// The model's summary (every layer's output shape) and its Keras 3 config, rebuilt: a config nabla writes for a
// model it loaded must load again.
inline void exercise_model(const std::shared_ptr<Model>& model) {
  if (!model) return;
  std::ostringstream summary;
  model->summary(summary);
  (void)model->count_params();
  (void)deserialize_model(serialize_model(*model));
}

}  // namespace nabla::fuzz
