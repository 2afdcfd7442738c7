// Sequential and functional models to and from Keras's configs (see model_config.h).
#include "nabla/train/model_config.h"

#include <map>
#include <nlohmann/json.hpp>

#include "nabla/nn/input_layer.h"
#include "nabla/nn/layer_registry.h"
#include "nabla/nn/serialization.h"
#include "nabla/train/functional.h"
#include "nabla/train/sequential.h"

namespace nabla {

using saving::json;

namespace {
json dtype_policy() { return saving::serialize_object("keras", "DTypePolicy", {{"name", "float32"}}); }

Shape batch_free(Shape s) {
  if (s.size()) s[0] = -1;
  return s;
}
}  // namespace

// ---- Sequential ----

json Sequential::get_config() const {
  json layers = json::array();
  if (input_shape_) {
    // Keras keeps an InputLayer at the front of a Sequential built for a known input shape.
    nn::InputLayer in(std::vector<int64_t>(input_shape_->begin() + 1, input_shape_->end()));
    in.set_name("input_layer");
    layers.push_back(nn::serialize_layer(in));
  }
  for (const auto& l : layers_) layers.push_back(nn::serialize_layer(*l));
  json c = {{"name", name_}, {"trainable", true}, {"dtype", dtype_policy()}, {"layers", layers}};
  if (input_shape_) c["build_input_shape"] = saving::shape_to_json(batch_free(*input_shape_));
  return c;
}

std::shared_ptr<Sequential> Sequential::from_config(const json& c) {
  const std::string who = "Sequential config";
  NABLA_CHECK(c.is_object() && c.contains("layers") && c["layers"].is_array(), who, ": expected {\"layers\": [...]}, got ",
              c.dump().substr(0, 200));
  std::optional<Shape> input;
  std::vector<nn::LayerPtr> layers;
  for (const json& entry : c["layers"]) {
    nn::LayerPtr l = nn::deserialize_layer(entry);
    if (l->type() == "InputLayer") {
      NABLA_CHECK(layers.empty(), who, ": an InputLayer may only come first");
      input = static_cast<nn::InputLayer&>(*l).shape();
      continue;
    }
    layers.push_back(std::move(l));
  }
  if (!input && c.contains("build_input_shape") && !c["build_input_shape"].is_null())
    input = saving::shape_from_json(c["build_input_shape"], who + " build_input_shape");
  auto model = std::make_shared<Sequential>(std::move(layers), saving::get_string(c, "name", "", who));
  if (input) model->build(batch_free(*input));
  return model;
}

// ---- Functional ----

namespace {
json history(const std::string& layer, size_t node_index) { return json::array({layer, node_index, 0}); }
json keras_tensor(const Shape& shape, const std::string& layer, size_t node_index) {
  return {{"class_name", "__keras_tensor__"},
          {"config", {{"shape", saving::shape_to_json(shape)}, {"dtype", "float32"},
                      {"keras_history", history(layer, node_index)}}}};
}
// Keras writes one [name, node, tensor] triple for a single input/output, a list of them otherwise.
json endpoints(const std::vector<json>& v) { return v.size() == 1 ? v[0] : json(v); }
}  // namespace

json Functional::get_config() const {
  // Node index of each application of a layer, in the model's order (a shared layer has nodes 0, 1, ...).
  std::map<const functional::Node*, size_t> node_index;
  std::map<const nn::Layer*, std::vector<const functional::Node*>> nodes_of;
  for (const auto& n : nodes_) {
    auto& v = nodes_of[n->layer.get()];
    node_index[n.get()] = v.size();
    v.push_back(n.get());
  }
  json layers = json::array();
  for (const auto& l : layers_) {
    json entry = nn::serialize_layer(*l);
    entry["name"] = l->name();
    json inbound = json::array();
    for (const functional::Node* n : nodes_of[l.get()]) {
      if (n->inputs.empty()) continue;  // an Input
      json args = json::array();
      for (const auto& in : n->inputs) args.push_back(keras_tensor(in->shape, in->layer->name(), node_index.at(in.get())));
      const bool one_list = n->inputs.size() > 1 && !l->positional_inputs();  // merge layers take a list
      inbound.push_back({{"args", one_list ? json::array({args}) : args},
                         {"kwargs", n->kwargs ? *n->kwargs : json::object()}});
    }
    entry["inbound_nodes"] = inbound;
    layers.push_back(entry);
  }
  std::vector<json> ins, outs;
  for (const KerasTensor& t : inputs_) ins.push_back(history(t.name(), node_index.at(t.node().get())));
  for (const KerasTensor& t : outputs_) outs.push_back(history(t.name(), node_index.at(t.node().get())));
  return {{"name", name_}, {"trainable", true}, {"layers", layers}, {"input_layers", endpoints(ins)},
          {"output_layers", endpoints(outs)}};
}

std::shared_ptr<Functional> Functional::from_config(const json& c) {
  const std::string who = "Functional config";
  NABLA_CHECK(c.is_object() && c.contains("layers") && c["layers"].is_array(), who,
              ": expected {\"layers\": [...], \"input_layers\", \"output_layers\"}, got ", c.dump().substr(0, 200));
  std::map<std::string, nn::LayerPtr> by_name;
  std::map<std::pair<std::string, size_t>, KerasTensor> made;  // (layer, node index) -> its output
  struct Pending {
    std::string layer;
    size_t index;
    json node;
  };
  std::vector<Pending> pending;
  // Keras traces the mask computations of Masking and Embedding(mask_zero) into the graph as operations
  // (keras.src.ops NotEqual, Any) whose outputs feed layers' "mask" kwargs; nabla's layers recompute their masks,
  // so those entries are skipped (and the kwargs ignored). Any other use of such an operation is refused below.
  std::map<std::string, std::string> mask_ops;  // name -> class name
  for (const json& entry : c["layers"]) {
    if (entry.is_object() && entry.contains("module") && entry["module"].is_string() &&
        entry["module"].get<std::string>().rfind("keras.src.ops", 0) == 0 && entry.contains("name") &&
        entry["name"].is_string()) {
      mask_ops[entry["name"].get<std::string>()] = entry.value("class_name", "?");
      continue;
    }
    nn::LayerPtr l = nn::deserialize_layer(entry, /*build=*/false);  // apply_layer builds it on its inputs
    std::string name = entry.contains("name") && entry["name"].is_string() ? entry["name"].get<std::string>() : l->name();
    NABLA_CHECK(!by_name.count(name), who, ": two layers are named '", name, "'");
    l->set_name(name);
    by_name[name] = l;
    if (l->type() == "InputLayer") {
      auto node = std::make_shared<functional::Node>();
      node->layer = l;
      node->shape = static_cast<nn::InputLayer&>(*l).shape();
      made[{name, 0}] = KerasTensor(node);
      continue;
    }
    const json& inbound = entry.value("inbound_nodes", json::array());
    for (size_t i = 0; i < inbound.size(); ++i) pending.push_back({name, i, inbound[i]});
  }
  // The tensors a node's args refer to ({"class_name": "__keras_tensor__", "config": {"keras_history": ...}}).
  auto refs = [&](const json& node) {
    std::vector<std::pair<std::string, size_t>> r;
    NABLA_CHECK(node.is_object() && node.contains("args") && node["args"].is_array() && !node["args"].empty(), who,
                ": an inbound node must have arguments (a tensor, a list of tensors, or several tensors), got ",
                node.dump());
    // Several positional tensors (MultiHeadAttention(query, value, key)) are read as one list of inputs.
    const json& a = node["args"].size() == 1 ? node["args"][0] : node["args"];
    auto one = [&](const json& t) {
      NABLA_CHECK(t.is_object() && t.contains("config") && t["config"].contains("keras_history") &&
                      t["config"]["keras_history"].is_array() && t["config"]["keras_history"].size() == 3,
                  who, ": expected a __keras_tensor__ with keras_history, got ", t.dump());
      const json& h = t["config"]["keras_history"];
      NABLA_CHECK(!(h[0].is_string() && mask_ops.count(h[0].get<std::string>())), who, ": operation '",
                  h[0].dump(), "' (", h[0].is_string() ? mask_ops[h[0].get<std::string>()] : "", ") is used as a ",
                  "layer's input; nabla reads Keras operations in a graph only where they compute masks");
      // Node and tensor indices must be JSON integers: converting 1e70 to an integer is undefined.
      NABLA_CHECK(h[0].is_string() && h[1].is_number_unsigned() && h[2].is_number_integer(), who,
                  ": keras_history must be [layer name, node index, tensor index], got ", h.dump());
      NABLA_CHECK(h[2].get<int64_t>() == 0, who, ": nabla layers have one output, got tensor index ", h[2].dump());
      r.emplace_back(h[0].get<std::string>(), h[1].get<size_t>());
    };
    if (a.is_array())
      for (const json& t : a) one(t);
    else
      one(a);
    // A tensor passed by keyword (MultiHeadAttention's key=) follows the positional ones.
    if (node.contains("kwargs") && node["kwargs"].is_object() && node["kwargs"].contains("key") &&
        node["kwargs"]["key"].is_object())
      one(node["kwargs"]["key"]);
    return r;
  };
  // The keyword arguments a node passes on to its layer: Keras's traced mask tensors ("mask", computed again by
  // nabla's layers), "training" and tensors taken as inputs above are left out.
  auto call_kwargs = [&](const json& node) {
    json kw = json::object();
    if (!node.contains("kwargs") || !node["kwargs"].is_object()) return kw;
    for (auto it = node["kwargs"].begin(); it != node["kwargs"].end(); ++it) {
      if (it.key() == "mask" || it.key() == "training" || it.key() == "key" || it->is_null()) continue;
      NABLA_CHECK(!(it->is_object() && it->value("class_name", "") == "__keras_tensor__"), who, ": keyword argument '",
                  it.key(), "' of a node is a tensor; nabla's graphs take tensors only as inputs (", node.dump(), ")");
      kw[it.key()] = *it;
    }
    return kw;
  };
  // Apply nodes as their inputs become available (Keras's order may list a layer before its inputs' layers).
  while (!pending.empty()) {
    bool progress = false;
    for (auto it = pending.begin(); it != pending.end();) {
      auto r = refs(it->node);
      bool ready = true;
      for (const auto& k : r) ready = ready && made.count(k);
      if (!ready) {
        ++it;
        continue;
      }
      std::vector<KerasTensor> xs;
      for (const auto& k : r) xs.push_back(made.at(k));
      json kw = call_kwargs(it->node);
      made[{it->layer, it->index}] = kw.empty() ? apply_layer(by_name.at(it->layer), xs)
                                                : apply_layer(by_name.at(it->layer), xs, kw);
      it = pending.erase(it);
      progress = true;
    }
    NABLA_CHECK(progress, who, ": node ", pending.front().index, " of layer '", pending.front().layer,
                "' refers to a tensor no layer produces: ", pending.front().node.dump());
  }
  auto tensors = [&](const char* key) {
    NABLA_CHECK(c.contains(key) && c[key].is_array() && !c[key].empty(), who, ": \"", key, "\" is required");
    std::vector<json> list;
    if (c[key][0].is_array())
      for (const json& e : c[key]) list.push_back(e);
    else
      list.push_back(c[key]);
    std::vector<KerasTensor> r;
    for (const json& e : list) {
      NABLA_CHECK(e.is_array() && e.size() == 3 && e[0].is_string() && e[1].is_number_unsigned(), who,
                  ": bad entry in ", key, ": ", e.dump());
      auto k = std::make_pair(e[0].get<std::string>(), e[1].get<size_t>());
      NABLA_CHECK(made.count(k), who, ": ", key, " names '", k.first, "' node ", k.second, ", which does not exist");
      r.push_back(made.at(k));
    }
    return r;
  };
  return std::make_shared<Functional>(tensors("input_layers"), tensors("output_layers"),
                                      saving::get_string(c, "name", "", who));
}

// ---- whole models ----

json serialize_model(const Model& model) {
  if (const auto* s = dynamic_cast<const Sequential*>(&model)) {
    json j = saving::serialize_object("keras", "Sequential", s->get_config());
    if (j["config"].contains("build_input_shape")) j["build_config"] = {{"input_shape", j["config"]["build_input_shape"]}};
    return j;
  }
  if (const auto* f = dynamic_cast<const Functional*>(&model)) {
    json j = saving::serialize_object("keras.src.models.functional", "Functional", f->get_config(), "Functional");
    j["build_config"] = {{"input_shape", nullptr}};
    return j;
  }
  throw ValueError("serialize_model: model '" + model.name() +
                   "' is neither a Sequential nor a functional model; subclassed models have no config here");
}

std::shared_ptr<Model> deserialize_model(const json& j) {
  saving::ObjectSpec spec = saving::parse_object(j, "a model");
  if (spec.class_name == "Sequential") return Sequential::from_config(spec.config);
  if (spec.class_name == "Functional" || spec.class_name == "Model") return Functional::from_config(spec.config);
  throw ValueError("deserialize_model: unknown model class '" + spec.key() + "' (known: Sequential, Functional)");
}

}  // namespace nabla
