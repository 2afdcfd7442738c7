#pragma once
// Whole models from legacy Keras H5 files (Keras 2 / tf_keras `model.save("m.h5")`; the file itself is read by
// io/keras_legacy_h5.h): the root's `model_config` (Keras 2's schema) is rewritten into Keras 3's and rebuilt by
// deserialize_model; `model_weights/<layer>/<layer>/<weight>:0` are matched to the rebuilt layers by layer and
// weight name; `training_config` ({loss, metrics, weighted_metrics, loss_weights, optimizer_config}) compiles
// the model and `optimizer_weights` ("iteration:0", then "<Optimizer>/<slot>/<layer>/<weight>:0" per trainable
// weight, as tf_keras 2.21's optimizers name them) restores the optimizer's state. Checked against files written
// by tf_keras 2.21 (tests/io/tf_keras_h5_interop.py).
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "nabla/train/model.h"

namespace nabla::io {

// Keras 2's model config ({"class_name": "Sequential" | "Functional" | "Model", "config": ...}) in Keras 3's
// schema: inbound nodes as __keras_tensor__ arguments, BatchNormalization's resolved axis list as -1 (nabla
// normalizes the last axis; load_legacy_keras_model checks that it was the last), an InputLayer in front of a
// Sequential whose first layer carries batch_input_shape. `where` names the file in errors.
nlohmann::json upgrade_keras2_model_config(const nlohmann::json& config, const std::string& where);

// The model of a Keras 2 model_config (upgraded, rebuilt and built where its input shapes are known); errors
// name `where` and "model_config".
std::shared_ptr<Model> build_keras2_model(const nlohmann::json& model_config, const std::string& where);

// Compiles `model` from a Keras 2 training_config ({loss, metrics, weighted_metrics, loss_weights,
// optimizer_config}; tf_keras's "Custom>Adam" class names); `where` names the file and entry in errors.
void compile_from_keras2_training_config(Model& model, const nlohmann::json& training_config,
                                         const std::string& where);

// The whole model in `path`; compiled (loss, metrics, optimizer and its state) when `compile` and the file has
// a training_config. Errors name the file, the entry and what was expected.
std::shared_ptr<Model> load_legacy_keras_model(const std::string& path, bool compile);

}  // namespace nabla::io
