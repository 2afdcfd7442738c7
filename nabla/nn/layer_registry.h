#pragma once
// Layers to and from Keras's serialized form (keras.saving.serialize_keras_object / deserialize_keras_object):
//
//   {"module": "keras.layers", "class_name": "Dense", "config": {...get_config()...}, "registered_name": null,
//    "build_config": {"input_shape": [null, 3]}}          <- only for a built layer
//
// deserialize_layer rebuilds any built-in layer, or a user's layer registered under Keras's "package>name":
//
//   nabla::register_layer<MyLayer>("MyPackage>MyLayer");   // MyLayer::from_config(const nlohmann::json&)
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <typeindex>

#include "nabla/nn/layer.h"

namespace nabla::nn {

nlohmann::json serialize_layer(const Layer& layer);
// build: when the object has a build_config, build the layer for it (so its weights exist and can be set).
LayerPtr deserialize_layer(const nlohmann::json& j, bool build = true);

void register_layer_factory(const std::string& registered_name,
                            std::function<LayerPtr(const nlohmann::json& config)> factory, std::type_index type);
template <class T>
void register_layer(const std::string& registered_name) {
  register_layer_factory(registered_name, [](const nlohmann::json& c) -> LayerPtr { return T::from_config(c); },
                         typeid(T));
}

// Activations as Keras writes them in a layer config: the name, with "linear" for none; reading also accepts
// Keras's function object {"module": "builtins", "class_name": "function", "config": "relu", ...}.
nlohmann::json serialize_activation(const std::string& name);
std::string deserialize_activation(const nlohmann::json& j, const std::string& who);

}  // namespace nabla::nn

namespace nabla {
using nn::register_layer;
}
