#pragma once
// TensorFlow.js Layers models (tf.loadLayersModel / model.save): model.json + shards (io/tfjs_weights.h) mapped
// onto nabla's models. What TF.js 4.22 writes (checked with @tensorflow/tfjs 4.22.0, tests/io/tfjs_interop.cjs):
// - modelTopology: the Keras 2 model config in Python's snake_case keys ({"class_name": "Sequential" | "Model",
//   "config": {"name", "layers": [...]}, "keras_version": "tfjs-layers 4.22.0", "backend"}); the first layer of a
//   Sequential carries batch_input_shape (no InputLayer); functional inbound nodes are [[[layer, node, tensor,
//   {}], ...]]. tensorflowjs_converter's files wrap it as {"model_config", "training_config"}; both are read.
// - trainingConfig (beside modelTopology): {"loss": "categorical_crossentropy", "metrics": [...],
//   "optimizer_config": {"class_name": "Adam", "config": {"learningRate", "beta1", "beta2", "epsilon"}}}: the
//   optimizer's keys are TF.js's own camelCase.
// - weights "<layer name>/<weight name>" (trainable first), and with includeOptimizer a group "optimizer":
//   "iter" (int32), then per slot kind all trainable weights' slots "<layer>/<weight>/<slot>" (Adam: all "m",
//   then all "v"; momentum: "momentum"; RMSProp: "rms", "momentum", "mg").
// Loading maps the topology through the Keras 2 upgrade (io/keras_legacy_model.h); saving writes that same form
// back, so TF.js loads nabla's files with tf.loadLayersModel (tf.io.fromMemory or a load handler).
#include <memory>
#include <string>

#include "nabla/io/tfjs_weights.h"
#include "nabla/train/model.h"

namespace nabla::io {

// A path TF.js Layers files live at: "*.json" (model.json), or a directory (existing, or written with a trailing
// '/').
bool is_tfjs_path(const std::string& path);

// The model of `path` (model.json or its directory) with its weights; compiled with its trainingConfig and
// optimizer weights when `compile` and the file has them.
std::shared_ptr<Model> load_tfjs_model(const std::string& path, bool compile);
// The same from a model.json already read (io/tfjs_weights.h): the topology mapped onto nabla's layers, the
// weights matched by name, and with `compile` the trainingConfig and optimizer weights. `where` starts errors.
std::shared_ptr<Model> build_tfjs_model(const TfjsModel& t, const std::string& where, bool compile);
// Writes model.json and its shard into `path` (model.json or a directory, created if missing). With
// include_optimizer and a compiled model, also the trainingConfig and optimizer weights (Adam, SGD with or without
// momentum, RMSprop: the optimizers TF.js shares with nabla); a loss or metric TF.js cannot name is an error.
void save_tfjs_model(const Model& model, const std::string& path, bool include_optimizer);

}  // namespace nabla::io
