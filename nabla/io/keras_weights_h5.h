#pragma once
// Keras 3's weights file (`model.weights.h5`, inside .keras archives and written by `save_weights`): every
// saveable object (the model itself at path "", each layer "layers/dense", nested layers
// "layers/block/layers/dense", the optimizer "optimizer") that owns state has a group "<path>/vars" with the
// attribute `name` (the object's name) and its variables as datasets "0", "1", ... in the object's order.
// Keras 3.15 writes nothing else at the top level (checked with h5py on a saved Sequential + Adam model).
// Paths follow Keras's attribute walk, not layer names: the layers of a list are named by class in snake case
// with a counter ("layers/dense", "layers/dense_1", "layers/conv2d"); the layer's own name is the `name` attribute.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "nabla/core/tensor.h"

namespace nabla::io {

struct KerasVars {
  std::string name;             // the vars group's `name` attribute ("dense", "adam"); may be empty
  std::vector<Tensor> values;   // datasets "0", "1", ... in order
};

struct KerasWeights {
  // Object path -> its variables. "" is the model itself, "optimizer" the optimizer (Keras's order: iterations,
  // learning rate, then the slots of each trainable variable).
  std::map<std::string, KerasVars> objects;

  bool contains(const std::string& path) const { return objects.count(path) != 0; }
  // The variables of `path`; throws IOError naming the path and the paths present when it is missing.
  const std::vector<Tensor>& at(const std::string& path) const;
  const std::vector<Tensor>& optimizer() const { return at("optimizer"); }
};

// The HDF5 file image of `w` (what goes into a .keras archive as model.weights.h5).
std::string write_keras_weights_h5(const KerasWeights& w);
// Parses an HDF5 file image; `origin` names it in errors ("m.keras: model.weights.h5"). Also the fuzz entry.
KerasWeights read_keras_weights_h5(std::string_view image, const std::string& origin);

// A standalone "*.weights.h5" file (Keras's model.save_weights / load_weights), written atomically.
void save_keras_weights(const std::string& path, const KerasWeights& w);
KerasWeights load_keras_weights(const std::string& path);

}  // namespace nabla::io
