#pragma once
// Whole models to and from Keras's serialized form (what keras.saving.serialize_keras_object(model) writes):
//   Sequential: {"module": "keras", "class_name": "Sequential", "config": {...}, "registered_name": null,
//                "build_config": {"input_shape": [null, ...]}}
//   Functional: {"module": "keras.src.models.functional", "class_name": "Functional", "config": {...},
//                "registered_name": "Functional", "build_config": {"input_shape": null}}
// Keras also writes "compile_config"; that (loss, metrics, optimizer) belongs to the model-file format.
#include <memory>
#include <nlohmann/json_fwd.hpp>

#include "nabla/train/model.h"

namespace nabla {

nlohmann::json serialize_model(const Model& model);
std::shared_ptr<Model> deserialize_model(const nlohmann::json& j);

}  // namespace nabla
