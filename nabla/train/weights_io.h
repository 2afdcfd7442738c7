#pragma once
// Weight files: save every weight of a model and load them back (Keras's save_weights / load_weights).
//
// Format (little-endian), chosen so that any language can read it with a JSON parser and one seek:
//   bytes 0-7    magic "NABLAW01"
//   bytes 8-15   uint64 length H of the JSON header
//   H bytes      JSON header: {"format": "nabla-weights", "version": 1, "model": <model name>,
//                 "weights": [{"name": "<layer>/<weight>", "dtype": "float32", "shape": [..],
//                              "offset": <byte offset into the data section>, "nbytes": n}, ...],
//                 optional "config": {layers, optimizer} (informational; ModelCheckpoint writes it)}
//   data         the tensors' bytes, row-major, at their offsets
// Weights are stored in the model's layer order and loaded by position (as Keras's load_weights does for
// weights files), so an identical architecture built in another process loads even though its automatic
// layer names differ; each weight's own name ("kernel", "bias", ...) and shape must match.
// Files are written to "<path>.tmp" and renamed, so a crash never leaves a truncated checkpoint at `path`.
#include <string>
#include <utility>
#include <vector>

#include "nabla/core/tensor.h"

namespace nabla {

class Model;

// ("<layer>/<weight>", value) for every weight of every layer, in layer order. Throws if a layer is not built.
std::vector<std::pair<std::string, Tensor>> named_weights(const Model& model);

// include_config adds the layer list (type, config, output shape) and optimizer settings to the header.
void save_weights(const Model& model, const std::string& path, bool include_config = false);
// Builds the model if it can, then copies the file's weights into the model's weights in place (so optimizer
// state and cached parameter lists stay valid). Throws IOError on a malformed file, ShapeError on a mismatch.
void load_weights(Model& model, const std::string& path);

// Keras 3's weights file ("*.weights.h5", what Keras's model.save_weights writes; Model::save_weights and
// load_weights take this form for such paths): each layer's variables at Keras's paths and, when the model is
// compiled, the optimizer's (loaded when the model is compiled with an optimizer of that shape). Defined with
// save_model in io/model_file.cpp.
void save_weights_h5(const Model& model, const std::string& path);
void load_weights_h5(Model& model, const std::string& path);

}  // namespace nabla
