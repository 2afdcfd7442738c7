#pragma once
// Whole models to and from files (Keras's model.save / keras.saving.load_model). The format follows the path:
// "*.keras" is Keras 3's own layout (io/keras_archive.h): config.json = serialize_keras_object(model) plus its
// compile_config ({optimizer, loss, metrics, weighted_metrics, ...}) and build_config; model.weights.h5 holds each
// layer's variables at Keras's paths ("layers/<class in snake case>[_<n>]/vars/<i>", counted per class in layer
// order, as Keras's attribute walk names them) and the optimizer's at "optimizer/vars/<i>" in Keras 3's order
// (iterations, learning rate, then the slots of each trainable variable), so that training resumes exactly.
#include <memory>
#include <string>

#include "nabla/train/model.h"
#include "nabla/train/weights_io.h"  // save_weights_h5 / load_weights_h5 are defined in model_file.cpp

namespace nabla {

struct SaveOptions {
  // Writes compile_config and the optimizer's variables (Keras's default). Without it the file holds the
  // architecture and weights only, and loads uncompiled.
  bool include_optimizer = true;
  // "*.onnx" paths: the ONNX opset to write, 13 to 17 (io/onnx_export.h). The file is for inference: it holds
  // the graph and weights, no optimizer.
  int onnx_opset = 17;
};

struct LoadOptions {
  // Compiles the loaded model with the file's loss, metrics and optimizer and restores the optimizer's state.
  // false: the model comes back uncompiled (for inference, or to compile it differently).
  bool compile = true;
};

// Writes `model` through a temporary name: a failed save leaves any previous file untouched. Every layer must
// be built. Throws ValueError for a path whose format nabla does not write, or a model without a config
// (subclassed models). A "*.onnx" path writes an ONNX graph for inference engines instead (io/onnx_export.h).
void save_model(const Model& model, const std::string& path, SaveOptions opts = {});
// Rebuilds the model, its weights and (unless opts.compile is false) its compiled state. "*.h5" is a legacy
// Keras 2 / tf_keras whole-model file (io/keras_legacy_model.h); "*.json" or a directory is a TF.js Layers model
// (io/tfjs_model.h), which save_model also writes. Errors name the file,
// the entry (config.json, model.weights.h5 and the variable path) and what was expected.
std::shared_ptr<Model> load_model(const std::string& path, LoadOptions opts = {});

}  // namespace nabla
