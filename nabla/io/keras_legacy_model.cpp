#include "nabla/io/keras_legacy_model.h"

#include <map>
#include <utility>
#include <vector>

#include "nabla/autograd/grad_mode.h"
#include "nabla/core/error.h"
#include "nabla/io/keras_legacy_h5.h"
#include "nabla/train/model_config.h"

namespace nabla::io {
namespace {

using json = nlohmann::json;

// Keras 2's node entry [layer, node_index, tensor_index, kwargs] as Keras 3's __keras_tensor__ argument.
json keras_tensor(const json& e, const std::string& where) {
  if (!e.is_array() || e.size() < 3 || !e[0].is_string() || !e[1].is_number_unsigned() || !e[2].is_number_unsigned())
    throw ValueError(where + ": inbound node entry " + e.dump() + " is not [layer, node_index, tensor_index, kwargs]");
  if (e.size() > 3 && !e[3].is_null() && !(e[3].is_object() && e[3].empty()))
    throw ValueError(where + ": inbound node entry " + e.dump() + " passes call arguments " + e[3].dump() +
                     ", which nabla's layers do not take");
  return {{"class_name", "__keras_tensor__"},
          {"config", {{"shape", nullptr}, {"dtype", "float32"}, {"keras_history", {e[0], e[1], e[2]}}}}};
}

// Keras 2's VarianceScaling distribution "normal" is Keras 3's "truncated_normal"; anywhere in a config.
void upgrade_initializers(json& j) {
  if (j.is_object()) {
    if (j.value("class_name", json()) == "VarianceScaling" && j.contains("config") && j["config"].is_object() &&
        j["config"].value("distribution", json()) == "normal")
      j["config"]["distribution"] = "truncated_normal";
    for (auto& [k, v] : j.items()) upgrade_initializers(v);
  } else if (j.is_array()) {
    for (auto& v : j) upgrade_initializers(v);
  }
}

json upgrade_layer(const json& entry, const std::string& where) {
  if (!entry.is_object() || !entry.contains("class_name") || !entry["class_name"].is_string() ||
      !entry.contains("config") || !entry["config"].is_object())
    throw ValueError(where + ": layer entry " + entry.dump().substr(0, 200) + " is not {class_name, config}");
  json out = entry;
  upgrade_initializers(out["config"]);
  json& c = out["config"];
  const std::string cls = entry["class_name"];
  const std::string lw = where + ": layer '" + c.value("name", std::string("?")) + "' (" + cls + ")";
  if (cls != "InputLayer") c.erase("batch_input_shape");  // Keras 2 repeats the input's shape on the first layer
  if (cls == "BatchNormalization" && c.contains("axis") && c["axis"].is_array()) {
    if (c["axis"].size() != 1)
      throw ValueError(lw + ": axis " + c["axis"].dump() + " normalizes over several axes; nabla normalizes one");
    // The resolved axis (rank - 1 for the last); the loader checks it against the built input's rank.
    out["nabla_keras2_axis"] = c["axis"][0];
    c["axis"] = -1;
  }
  if (entry.contains("inbound_nodes")) {
    const json& nodes = entry["inbound_nodes"];
    if (!nodes.is_array()) throw ValueError(lw + ": inbound_nodes is " + nodes.dump() + ", not a list");
    json upgraded = json::array();
    for (const json& node : nodes) {
      if (node.is_object()) {  // already Keras 3's {"args", "kwargs"}
        upgraded.push_back(node);
        continue;
      }
      if (!node.is_array() || node.empty())
        throw ValueError(lw + ": inbound node " + node.dump() + " is not a list of [layer, node, tensor, kwargs]");
      json args = json::array();
      for (const json& e : node) args.push_back(keras_tensor(e, lw));
      upgraded.push_back({{"args", node.size() == 1 ? args : json::array({args})}, {"kwargs", json::object()}});
    }
    out["inbound_nodes"] = upgraded;
  }
  return out;
}

std::string weight_short_name(const std::string& stored) {
  std::string s = stored;
  if (auto colon = s.rfind(':'); colon != std::string::npos) s.erase(colon);  // "dense/kernel:0" -> "dense/kernel"
  if (auto slash = s.rfind('/'); slash != std::string::npos) s.erase(0, slash + 1);
  return s;
}

std::string strip_device_suffix(std::string s) {
  if (auto colon = s.rfind(':'); colon != std::string::npos) s.erase(colon);
  return s;
}

// The layers' weights from model_weights, matched by layer name and weight name; everything is checked before
// anything is assigned.
void assign_weights(Model& model, const LegacyKerasH5& f, const std::string& where) {
  std::map<std::string, const LegacyLayerWeights*> by_layer;
  for (const auto& l : f.layers) by_layer[l.layer_name] = &l;
  std::vector<std::pair<Tensor, Tensor>> copies;
  for (const auto& layer : model.layers()) {
    const auto& ws = layer->weights();
    auto it = by_layer.find(layer->name());
    const std::string entry = "model_weights/" + layer->name();
    if (it == by_layer.end()) {
      if (ws.empty()) continue;
      throw IOError(where + ": no group '" + entry + "' for layer '" + layer->name() + "' (" + layer->type() + ")");
    }
    const auto& stored = it->second->weights;
    if (stored.size() != ws.size())
      throw IOError(where + ": '" + entry + "' holds " + std::to_string(stored.size()) + " weights but layer '" +
                    layer->name() + "' (" + layer->type() + ") has " + std::to_string(ws.size()));
    for (const auto& w : ws) {
      const NamedTensor* found = nullptr;
      for (const auto& s : stored)
        if (weight_short_name(s.first) == w.name) found = &s;
      if (!found) {
        std::string have;
        for (const auto& s : stored) have += (have.empty() ? "" : ", ") + s.first;
        throw IOError(where + ": '" + entry + "' has no weight '" + w.name + "' for layer '" + layer->name() +
                      "' (it has " + have + ")");
      }
      const Tensor& v = found->second;
      if (v.shape() != w.value.shape() || v.dtype() != w.value.dtype())
        throw IOError(where + ": '" + entry + "/" + found->first + "' is " + dtype_name(v.dtype()) + " " +
                      v.shape().str() + " but layer '" + layer->name() + "' expects " + w.name + " as " +
                      dtype_name(w.value.dtype()) + " " + w.value.shape().str());
      copies.emplace_back(w.value, v);
    }
  }
  NoGradGuard ng;
  for (auto& [dst, src] : copies) dst.copy_(src);
}

// Keras 2 writes one list per output; nabla applies one list to every output.
json one_for_all(const json& v, const std::string& what, const std::string& where) {
  if (v.is_object() && !v.contains("class_name"))
    throw ValueError(where + ": " + what + " given per output name (" + v.dump() + "); nabla applies one " + what +
                     " to every output");
  const bool per_output = v.is_array() && !v.empty() && (what == "loss" || v[0].is_array());
  if (!per_output) return v;
  for (const auto& e : v)
    if (e != v[0])
      throw ValueError(where + ": " + what + " differs between outputs (" + v.dump() + "); nabla applies one " + what +
                       " to every output");
  return v[0];
}

std::vector<MetricArg> metric_args(const json& v, const std::string& where) {
  std::vector<MetricArg> r;
  if (v.is_null()) return r;
  json list = one_for_all(v, "metrics", where);
  if (!list.is_array()) throw ValueError(where + ": metrics is " + list.dump() + ", not a list");
  for (const json& m : list) {
    if (m.is_string()) {
      r.emplace_back(m == "acc" ? std::string("accuracy") : m.get<std::string>());
    } else if (m.is_object() && m.value("class_name", "") == "MeanMetricWrapper") {
      // Keras 2 wraps a metric function: "accuracy" (resolved by the loss, as compile did) or the function's name.
      const json& c = m.contains("config") ? m["config"] : json::object();
      const std::string name = c.value("name", std::string()), fn = c.value("fn", std::string());
      r.emplace_back(name == "accuracy" || name == "acc" ? std::string("accuracy") : fn.empty() ? name : fn);
    } else {
      r.emplace_back(metrics::deserialize(m));
    }
  }
  return r;
}

json upgrade_loss(json loss) {
  // Keras 2's Reduction.AUTO is Keras 3's default, sum over batch size.
  if (loss.is_object() && loss.contains("config") && loss["config"].is_object() &&
      loss["config"].value("reduction", json()) == "auto")
    loss["config"]["reduction"] = "sum_over_batch_size";
  return loss;
}

void compile_from_training_config(Model& model, const json& tc, const std::string& where) {
  if (!tc.is_object()) throw ValueError(where + ": training_config is " + tc.dump() + ", not an object");
  if (tc.contains("loss_weights") && !tc["loss_weights"].is_null())
    throw ValueError(where + ": training_config has loss_weights " + tc["loss_weights"].dump() +
                     "; nabla does not weigh outputs' losses");
  if (!tc.contains("loss") || tc["loss"].is_null()) throw ValueError(where + ": training_config has no loss");
  json opt = tc.value("optimizer_config", json("rmsprop"));
  if (opt.is_object() && opt.contains("class_name") && opt["class_name"].is_string()) {
    std::string cls = opt["class_name"];
    if (cls.rfind("Custom>", 0) == 0) opt["class_name"] = cls.substr(7);  // tf_keras's prefix for its optimizers
    if (opt.contains("config") && opt["config"].is_object() && opt["config"].value("is_legacy_optimizer", false))
      throw ValueError(where + ": training_config's optimizer is a legacy (tf.keras.optimizers.legacy) " + cls +
                       "; nabla reads tf_keras 2.11+'s optimizers");
  }
  optim::OptimizerPtr o = optim::deserialize(opt);
  losses::LossPtr l = losses::deserialize(upgrade_loss(one_for_all(tc["loss"], "loss", where)));
  model.compile(o, l, metric_args(tc.value("metrics", json()), where),
                metric_args(tc.value("weighted_metrics", json()), where));
}

// optimizer_weights: "iteration:0", then each trainable weight's slots "<Optimizer>/<slot>/<layer>/<weight>:0",
// in the order the optimizer created them (the slots of one weight together, in slot_names() order).
void restore_optimizer(Model& model, const std::vector<NamedTensor>& ow, const std::string& where) {
  if (ow.empty()) return;  // never stepped
  optim::Optimizer& opt = model.optimizer();
  const std::vector<std::string> slot_names = opt.slot_names();
  const std::string entry = "optimizer_weights";
  if (strip_device_suffix(ow[0].first) != "iteration" || ow[0].second.numel() != 1)
    throw IOError(where + ": '" + entry + "/" + ow[0].first + "' should be the iteration count \"iteration:0\"");
  std::map<std::string, std::vector<Tensor>> slots;  // "<layer>/<weight>" -> its slots in file order
  for (size_t i = 1; i < ow.size(); ++i) {
    const std::string n = strip_device_suffix(ow[i].first);
    size_t a = n.find('/'), b = a == std::string::npos ? a : n.find('/', a + 1);
    if (b == std::string::npos)
      throw IOError(where + ": '" + entry + "/" + ow[i].first + "' is not named <Optimizer>/<slot>/<layer>/<weight> "
                    "(tf_keras 2.11+'s optimizers; legacy optimizers are not read)");
    slots[n.substr(b + 1)].push_back(ow[i].second);
  }
  // The trainable weights by "<layer>/<weight>", in model order.
  std::vector<std::string> keys;
  std::vector<Tensor> params;
  for (const auto& layer : model.layers()) {
    if (!layer->trainable) continue;
    for (const auto& w : layer->weights())
      if (w.trainable) {
        keys.push_back(layer->name() + "/" + w.name);
        params.push_back(w.value);
      }
  }
  const std::vector<Tensor> model_params = model.trainable_weights();
  if (model_params.size() != params.size())
    throw IOError(where + ": cannot match '" + entry + "' to the model's trainable weights");
  for (const auto& k : keys) {
    if (slot_names.empty()) break;  // plain SGD keeps nothing per weight
    auto it = slots.find(k);
    const size_t have = it == slots.end() ? 0 : it->second.size();
    if (have != slot_names.size())
      throw IOError(where + ": '" + entry + "' holds " + std::to_string(have) + " slots for '" + k + "' but " +
                    opt.class_name() + " keeps " + std::to_string(slot_names.size()) + " per weight");
  }
  if (slots.size() != (slot_names.empty() ? 0 : keys.size()))
    throw IOError(where + ": '" + entry + "' holds slots of " + std::to_string(slots.size()) + " weights but the " +
                  "model trains " + std::to_string(keys.size()));
  // variables(params)'s order: iteration, learning rate (kept as configured), then each slot group over params.
  std::vector<std::pair<std::string, Tensor>> current = opt.variables(params);
  std::vector<Tensor> values{ow[0].second};
  if (current.size() > 1 && current[1].first == "learning_rate") values.push_back(current[1].second);
  size_t first = 0;
  for (const auto& group : opt.slot_groups()) {
    for (const auto& k : keys)
      for (size_t j = 0; j < group.size(); ++j) values.push_back(slots.at(k)[first + j]);
    first += group.size();
  }
  const double lr = opt.learning_rate();
  try {
    opt.set_variables(params, values);
  } catch (const Error& e) {
    throw IOError(where + ": '" + entry + "' does not fit the model's optimizer: " + e.what());
  }
  if (!opt.options().schedule) opt.set_learning_rate(lr);
}

}  // namespace

static json upgrade_keras2_model_config_unchecked(const json& config, const std::string& where) {
  if (!config.is_object() || !config.contains("class_name") || !config["class_name"].is_string() ||
      !config.contains("config") || !config["config"].is_object() || !config["config"].contains("layers") ||
      !config["config"]["layers"].is_array())
    throw ValueError(where + ": model_config is not {\"class_name\", \"config\": {\"layers\": [...]}}");
  json out = config;
  json& layers = out["config"]["layers"];
  json upgraded = json::array();
  for (const json& l : layers) upgraded.push_back(upgrade_layer(l, where + ": model_config"));
  if (out["class_name"] == "Sequential" && !layers.empty() && layers[0].value("class_name", "") != "InputLayer" &&
      layers[0]["config"].contains("batch_input_shape")) {
    const json& first = layers[0]["config"];
    upgraded.insert(upgraded.begin(),
                    json{{"class_name", "InputLayer"},
                         {"config", {{"batch_shape", first["batch_input_shape"]},
                                     {"name", first.value("name", std::string("layer")) + "_input"}}}});
  }
  layers = upgraded;
  return out;
}

static std::shared_ptr<Model> build_keras2_model_unchecked(const json& model_config, const std::string& where) {
  json config = upgrade_keras2_model_config(model_config, where);
  // BatchNormalization axes recorded by the upgrade, checked against the built inputs below.
  std::map<std::string, int64_t> bn_axes;
  for (const json& l : config["config"]["layers"])
    if (l.contains("nabla_keras2_axis") && l["nabla_keras2_axis"].is_number_integer())
      bn_axes[l["config"].value("name", std::string())] = l["nabla_keras2_axis"].get<int64_t>();
  std::shared_ptr<Model> model;
  try {
    model = deserialize_model(config);
    model->build_if_possible();
  } catch (const nlohmann::json::exception& e) {
    throw ValueError(where + ": model_config: " + e.what());
  } catch (const Error& e) {
    throw ValueError(where + ": model_config: " + e.what());
  }
  for (const auto& layer : model->layers()) {
    auto it = bn_axes.find(layer->name());
    if (it == bn_axes.end() || layer->built_input_shapes().empty()) continue;
    const int64_t rank = int64_t(layer->built_input_shapes()[0].size());
    if (it->second != rank - 1)
      throw ValueError(where + ": model_config: layer '" + layer->name() + "' (BatchNormalization) normalizes axis " +
                       std::to_string(it->second) + " of rank-" + std::to_string(rank) +
                       " inputs; nabla normalizes the last axis only");
  }
  return model;
}

static void compile_from_keras2_training_config_unchecked(Model& model, const json& training_config,
                                                        const std::string& where) {
  try {
    compile_from_training_config(model, training_config, where);
  } catch (const nlohmann::json::exception& e) {
    throw ValueError(where + ": " + e.what());
  } catch (const Error& e) {
    if (std::string(e.what()).rfind(where, 0) == 0) throw;
    throw ValueError(where + ": " + e.what());
  }
}

std::shared_ptr<Model> load_legacy_keras_model(const std::string& path, bool compile) {
  const LegacyKerasH5 f = read_legacy_keras_h5(path);
  const std::string where = "load_model: '" + path + "'";
  if (f.model_config.is_null())
    throw ValueError(where + ": has no model_config attribute: a weights-only H5 file (save_weights); build the "
                     "model and call load_weights instead");
  std::shared_ptr<Model> model = build_keras2_model(f.model_config, where);
  assign_weights(*model, f, where);
  if (compile && !f.training_config.is_null()) {
    compile_from_keras2_training_config(*model, f.training_config, where + ": training_config");
    restore_optimizer(*model, f.optimizer_weights, where);
  }
  return model;
}

// The entry points: a JSON value of the wrong type anywhere in a config (nlohmann's type_error, found by
// keras2_model_config_fuzz and tfjs_topology_fuzz: a layer "name" that is a list) is a ValueError naming the file,
// like every other malformed config, never an exception of the JSON library.
template <class F>
auto json_errors_named(const std::string& where, F&& f) {
  try {
    return f();
  } catch (const nlohmann::json::exception& e) {
    throw ValueError(where + ": malformed config: " + e.what());
  }
}

json upgrade_keras2_model_config(const json& config, const std::string& where) {
  return json_errors_named(where, [&] { return upgrade_keras2_model_config_unchecked(config, where); });
}

std::shared_ptr<Model> build_keras2_model(const json& model_config, const std::string& where) {
  return json_errors_named(where, [&] { return build_keras2_model_unchecked(model_config, where); });
}

void compile_from_keras2_training_config(Model& model, const json& training_config, const std::string& where) {
  json_errors_named(where, [&] { compile_from_keras2_training_config_unchecked(model, training_config, where); });
}

}  // namespace nabla::io
