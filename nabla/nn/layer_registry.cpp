#include "nabla/nn/layer_registry.h"

#include <mutex>

#include "nabla/nn/activation.h"
#include "nabla/nn/add.h"
#include "nabla/nn/advanced_activations.h"
#include "nabla/nn/average_pooling2d.h"
#include "nabla/nn/batch_normalization.h"
#include "nabla/nn/concatenate.h"
#include "nabla/nn/conv2d.h"
#include "nabla/nn/dense.h"
#include "nabla/nn/dropout.h"
#include "nabla/nn/embedding.h"
#include "nabla/nn/flatten.h"
#include "nabla/nn/global_average_pooling1d.h"
#include "nabla/nn/global_average_pooling2d.h"
#include "nabla/nn/input_layer.h"
#include "nabla/nn/masking.h"
#include "nabla/nn/max_pooling2d.h"
#include "nabla/nn/permute.h"
#include "nabla/nn/reshape.h"
#include "nabla/nn/serialization.h"
#include "nabla/ops/activations.h"

namespace nabla::nn {

using saving::json;

namespace {
using LayerRegistry = saving::Registry<Layer>;
std::mutex registry_mu;

// One explicit table (not self-registration from each file): a static library drops object files that nothing
// references.
template <class T>
void add_builtin(LayerRegistry& r, const std::string& name) {
  r.add(name, [](const json& c) -> LayerPtr { return T::from_config(c); });
}
LayerRegistry& registry() {
  static LayerRegistry* r = [] {
    auto* reg = new LayerRegistry("layer");
    add_builtin<Activation>(*reg, "Activation");
    add_builtin<Add>(*reg, "Add");
    add_builtin<AveragePooling2D>(*reg, "AveragePooling2D");
    add_builtin<BatchNormalization>(*reg, "BatchNormalization");
    add_builtin<Concatenate>(*reg, "Concatenate");
    add_builtin<Conv2D>(*reg, "Conv2D");
    add_builtin<Dense>(*reg, "Dense");
    add_builtin<Dropout>(*reg, "Dropout");
    add_builtin<ELU>(*reg, "ELU");
    add_builtin<LeakyReLU>(*reg, "LeakyReLU");
    add_builtin<ReLU>(*reg, "ReLU");
    add_builtin<Softmax>(*reg, "Softmax");
    add_builtin<Embedding>(*reg, "Embedding");
    add_builtin<Flatten>(*reg, "Flatten");
    add_builtin<GlobalAveragePooling1D>(*reg, "GlobalAveragePooling1D");
    add_builtin<GlobalAveragePooling2D>(*reg, "GlobalAveragePooling2D");
    add_builtin<GlobalMaxPooling1D>(*reg, "GlobalMaxPooling1D");
    add_builtin<InputLayer>(*reg, "InputLayer");
    add_builtin<Masking>(*reg, "Masking");
    add_builtin<MaxPooling2D>(*reg, "MaxPooling2D");
    add_builtin<Permute>(*reg, "Permute");
    add_builtin<Reshape>(*reg, "Reshape");
    return reg;
  }();
  return *r;
}
}  // namespace

void register_layer_factory(const std::string& registered_name, std::function<LayerPtr(const json&)> factory,
                            std::type_index type) {
  NABLA_CHECK(registered_name.find('>') != std::string::npos, "register_layer: name '", registered_name,
              "' must be \"package>name\" (Keras's registered_name), e.g. \"MyPackage>", registered_name, "\"");
  std::lock_guard<std::mutex> lock(registry_mu);
  registry().add(registered_name, std::move(factory), type);
}

json serialize_layer(const Layer& layer) {
  std::string reg;
  {
    std::lock_guard<std::mutex> lock(registry_mu);
    reg = registry().registered_name(typeid(layer));
  }
  json j = reg.empty() ? saving::serialize_object("keras.layers", layer.type(), layer.get_config())
                       : saving::serialize_object("", saving::class_name_of_registered(reg), layer.get_config(), reg);
  // Keras writes no build_config for an InputLayer (it is built by construction).
  if (layer.built() && layer.type() != "InputLayer") {
    const auto& shapes = layer.built_input_shapes();
    json in;
    if (shapes.size() == 1) {
      in = saving::shape_to_json(shapes[0]);
    } else {
      in = json::array();
      for (const Shape& s : shapes) in.push_back(saving::shape_to_json(s));
    }
    j["build_config"] = {{"input_shape", in}};
  }
  return j;
}

LayerPtr deserialize_layer(const json& j, bool build) {
  saving::ObjectSpec spec = saving::parse_object(j, "a layer");
  LayerPtr layer;
  {
    std::unique_lock<std::mutex> lock(registry_mu);
    auto& r = registry();
    lock.unlock();  // a factory may deserialize nested layers
    layer = r.create(spec);
  }
  NABLA_CHECK(layer != nullptr, "deserialize_layer: the factory of '", spec.key(), "' returned no layer");
  if (build && j.contains("build_config") && j["build_config"].is_object() &&
      j["build_config"].contains("input_shape") && !j["build_config"]["input_shape"].is_null()) {
    const json& in = j["build_config"]["input_shape"];
    std::string who = "layer '" + layer->name() + "' build_config";
    std::vector<Shape> shapes;
    if (in.is_array() && !in.empty() && in[0].is_array())
      for (const json& s : in) shapes.push_back(saving::shape_from_json(s, who));
    else
      shapes.push_back(saving::shape_from_json(in, who));
    layer->ensure_built(shapes);
  }
  return layer;
}

json serialize_activation(const std::string& name) { return name.empty() ? std::string("linear") : name; }

std::string deserialize_activation(const json& j, const std::string& who) {
  std::string name;
  if (j.is_null()) return "";
  if (j.is_string()) {
    name = j.get<std::string>();
  } else if (j.is_object() && j.contains("config") && j["config"].is_string()) {
    name = j["config"].get<std::string>();
  } else {
    throw ValueError(detail::concat(who, ": activation must be a name or Keras's serialized function, got ", j.dump()));
  }
  NABLA_CHECK(is_activation_name(name), who, ": unknown activation '", name, "'");
  return name == "linear" ? std::string() : name;
}

}  // namespace nabla::nn
