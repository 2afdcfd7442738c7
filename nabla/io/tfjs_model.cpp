#include "nabla/io/tfjs_model.h"

#include <filesystem>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "nabla/autograd/grad_mode.h"
#include "nabla/core/error.h"
#include "nabla/io/keras_legacy_model.h"
#include "nabla/io/tfjs_weights.h"
#include "nabla/nn/layer.h"
#include "nabla/ops/math.h"
#include "nabla/train/model_config.h"

namespace nabla::io {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// ---- optimizers: TF.js's class names, camelCase configs and slot names ----

// TF.js's optimizer config in Keras's keys, by TF.js class name.
json optimizer_from_tfjs(const json& oc, const std::string& where) {
  if (!oc.is_object() || !oc.contains("class_name") || !oc["class_name"].is_string())
    throw ValueError(where + ": optimizer_config " + oc.dump() + " is not {class_name, config}");
  const std::string cls = oc["class_name"];
  const json c = oc.value("config", json::object());
  json k = {{"learning_rate", c.value("learningRate", 0.001)}};
  if (cls == "Adam") {
    k["beta_1"] = c.value("beta1", 0.9);
    k["beta_2"] = c.value("beta2", 0.999);
    if (c.contains("epsilon") && c["epsilon"].is_number()) k["epsilon"] = c["epsilon"];
    return {{"class_name", "Adam"}, {"config", k}};
  }
  if (cls == "SGD") return {{"class_name", "SGD"}, {"config", k}};
  if (cls == "Momentum") {
    k["momentum"] = c.value("momentum", 0.0);
    k["nesterov"] = c.value("useNesterov", false);
    return {{"class_name", "SGD"}, {"config", k}};
  }
  throw ValueError(where + ": optimizer '" + cls + "' is not one nabla can continue (Adam, SGD, Momentum); load with "
                   "LoadOptions{.compile = false} and compile it anew");
}

// Keras's optimizer (nabla's) as TF.js's optimizer_config.
json optimizer_to_tfjs(const optim::Optimizer& opt, const std::string& where) {
  const json c = optim::serialize(opt)["config"];
  if (!c["learning_rate"].is_number())
    throw ValueError(where + ": the optimizer's learning rate is a schedule, which TF.js cannot hold; save with "
                     "include_optimizer = false");
  const std::string cls = opt.class_name();
  json t = {{"learningRate", c["learning_rate"]}};
  if (cls == "Adam" && !c.value("amsgrad", false)) {
    t["beta1"] = c["beta_1"];
    t["beta2"] = c["beta_2"];
    t["epsilon"] = c["epsilon"];
    return {{"class_name", "Adam"}, {"config", t}};
  }
  if (cls == "SGD") {
    const double momentum = c.value("momentum", 0.0);
    if (momentum == 0) return {{"class_name", "SGD"}, {"config", t}};
    t["momentum"] = momentum;
    t["useNesterov"] = c.value("nesterov", false);
    return {{"class_name", "Momentum"}, {"config", t}};
  }
  throw ValueError(where + ": TF.js continues Adam (without amsgrad) and SGD only, not " + cls +
                   "; save with include_optimizer = false");
}

// TF.js's slot suffix for each of nabla's slots, and the factor from nabla's value to TF.js's: Keras's momentum
// velocity is -lr times TF.js's accumulation (v = m v - lr g; TF.js: a = m a + g, p -= lr a).
struct SlotMap {
  std::string suffix;
  double to_tfjs;
};
std::vector<SlotMap> slot_map(const optim::Optimizer& opt) {
  std::vector<SlotMap> r;
  for (const std::string& s : opt.slot_names()) {
    if (opt.class_name() == "Adam" && s == "momentum") r.push_back({"m", 1.0});
    else if (opt.class_name() == "Adam" && s == "velocity") r.push_back({"v", 1.0});
    else if (opt.class_name() == "SGD" && s == "momentum") r.push_back({"momentum", -1.0 / opt.learning_rate()});
    else throw ValueError("TF.js has no slot for " + opt.class_name() + "'s '" + s + "'");
  }
  return r;
}

// (key "<layer>/<weight>", tensor) for each trainable weight, in model order: TF.js's trainableWeights order.
std::vector<std::pair<std::string, Tensor>> trainable_by_name(const Model& model) {
  std::vector<std::pair<std::string, Tensor>> r;
  for (const auto& layer : model.layers()) {
    if (!layer->trainable) continue;
    for (const auto& w : layer->weights())
      if (w.trainable) r.emplace_back(layer->name() + "/" + w.name, w.value);
  }
  return r;
}

// ---- topology: nabla's (Keras 3) config as TF.js's Keras 2 form ----

// Drops Keras 3's "module"/"registered_name"/"build_config" and turns DTypePolicy objects into dtype strings.
void keras2_objects(json& j) {
  if (j.is_object()) {
    if (j.contains("class_name")) {
      j.erase("module");
      j.erase("registered_name");
      j.erase("build_config");
    }
    if (j.contains("dtype") && j["dtype"].is_object())
      j["dtype"] = j["dtype"].contains("config") ? j["dtype"]["config"].value("name", "float32") : "float32";
    for (auto& [k, v] : j.items()) keras2_objects(v);
  } else if (j.is_array()) {
    for (auto& v : j) keras2_objects(v);
  }
}

json keras2_node(const json& node, const std::string& where) {
  if (!node.is_object() || !node.contains("args") || !node["args"].is_array() || node["args"].size() != 1)
    throw ValueError(where + ": inbound node " + node.dump() + " is not Keras 3's {args: [tensors]}");
  const json& a = node["args"][0];
  json entries = json::array();
  auto one = [&](const json& t) {
    const json& h = t.at("config").at("keras_history");
    entries.push_back({h[0], h[1], h[2], json::object()});
  };
  if (a.is_array())
    for (const json& t : a) one(t);
  else
    one(a);
  return entries;
}

json tfjs_topology(const Model& model, const std::string& where) {
  json j = serialize_model(model);
  j.erase("build_config");
  j.erase("module");
  j.erase("registered_name");
  keras2_objects(j["config"]);
  json& c = j["config"];
  json& layers = c["layers"];
  for (json& l : layers)
    if (l.value("class_name", "") == "InputLayer" && l["config"].contains("batch_shape")) {
      l["config"]["batch_input_shape"] = l["config"]["batch_shape"];
      l["config"].erase("batch_shape");
    }
  if (j["class_name"] == "Sequential") {
    // TF.js's Sequential keeps the input shape on its first layer, as it writes it.
    c.erase("build_input_shape");
    if (!layers.empty() && layers[0].value("class_name", "") == "InputLayer") {
      json shape = layers[0]["config"]["batch_input_shape"];
      layers.erase(layers.begin());
      if (!layers.empty()) layers[0]["config"]["batch_input_shape"] = shape;
    }
  } else {
    j["class_name"] = "Model";
    for (json& l : layers) {
      json nodes = json::array();
      for (const json& n : l.value("inbound_nodes", json::array())) nodes.push_back(keras2_node(n, where));
      l["inbound_nodes"] = nodes;
    }
    for (const char* key : {"input_layers", "output_layers"})
      if (c[key].is_array() && !c[key].empty() && !c[key][0].is_array()) c[key] = json::array({c[key]});
  }
  j["keras_version"] = "tfjs-layers 4.22.0";  // the schema written, which TF.js checks nothing against
  j["backend"] = "tensor_flow.js";
  return j;
}

// The name TF.js gives a loss or metric function (snake_case, as in its trainingConfig), for those without
// options: "categorical_crossentropy", "accuracy".
std::string function_name(const json& serialized, const char* what, const std::string& where) {
  if (serialized.is_string()) return serialized;
  const std::string cls = serialized.value("class_name", "");
  json c = serialized.value("config", json::object());
  const bool plain = !c.value("from_logits", false) && c.value("label_smoothing", 0.0) == 0.0 &&
                     c.value("reduction", json("sum_over_batch_size")) == "sum_over_batch_size";
  if (!plain)
    throw ValueError(where + ": TF.js's trainingConfig names a " + what + " by function; " + serialized.dump() +
                     " has options it cannot carry; save with include_optimizer = false");
  if (std::string(what) == "metric") return c.value("name", nn::snake_case(cls));
  return nn::snake_case(cls);
}

}  // namespace

bool is_tfjs_path(const std::string& path) {
  std::error_code ec;
  return fs::path(path).extension() == ".json" || (!path.empty() && path.back() == '/') || fs::is_directory(path, ec);
}

std::shared_ptr<Model> load_tfjs_model(const std::string& path, bool compile) {
  std::error_code ec;
  if (fs::path(path).extension() != ".json" && fs::exists(path, ec) && !fs::is_directory(path, ec))
    throw IOError("load_model: '" + path + "' is a file; a TF.js Layers model is a model.json or its directory");
  TfjsModel t = read_tfjs_model(path);
  const std::string file = fs::path(path).extension() == ".json" ? path : (fs::path(path) / "model.json").string();
  return build_tfjs_model(t, "load_model: '" + file + "'", compile);
}

namespace {
std::shared_ptr<Model> build_tfjs_model_unchecked(const TfjsModel& t, const std::string& where, bool compile) {
  if (t.format != "layers-model")
    throw ValueError(where + ": format is '" + t.format + "'; nabla reads TF.js Layers models (\"layers-model\"), "
                     "not graph models");
  // tensorflowjs_converter wraps Keras's {model_config, training_config}; TF.js's own save writes the config.
  json model_config = t.model_topology, training_config = t.extra.value("trainingConfig", json());
  if (model_config.is_object() && model_config.contains("model_config")) {
    if (training_config.is_null()) training_config = model_config.value("training_config", json());
    model_config = json(model_config["model_config"]);
  }
  std::shared_ptr<Model> model = build_keras2_model(model_config, where + ": modelTopology");

  std::map<std::string, const TfjsWeight*> by_name;
  std::vector<const TfjsWeight*> optimizer_weights;
  for (const auto& w : t.weights) {
    if (w.group == "optimizer")
      optimizer_weights.push_back(&w);
    else
      by_name[w.name] = &w;
  }
  std::vector<std::pair<Tensor, Tensor>> copies;
  std::set<std::string> used;
  for (const auto& layer : model->layers())
    for (const auto& w : layer->weights()) {
      const std::string name = layer->name() + "/" + w.name;
      auto it = by_name.find(name);
      if (it == by_name.end())
        throw IOError(where + ": weightsManifest has no weight '" + name + "' for layer '" + layer->name() + "' (" +
                      layer->type() + ")");
      const Tensor& v = it->second->value;
      if (v.shape() != w.value.shape() || v.dtype() != w.value.dtype())
        throw IOError(where + ": weight '" + name + "' is " + dtype_name(v.dtype()) + " " + v.shape().str() +
                      " but layer '" + layer->name() + "' expects " + dtype_name(w.value.dtype()) + " " +
                      w.value.shape().str());
      copies.emplace_back(w.value, v);
      used.insert(name);
    }
  for (const auto& [name, w] : by_name)
    if (!used.count(name))
      throw IOError(where + ": weightsManifest holds weight '" + name + "', which no layer of the model has");
  {
    NoGradGuard ng;
    for (auto& [dst, src] : copies) dst.copy_(src);
  }
  if (!compile || training_config.is_null()) return model;

  json tc = training_config;
  if (tc.contains("optimizer_config")) tc["optimizer_config"] = optimizer_from_tfjs(tc["optimizer_config"], where);
  compile_from_keras2_training_config(*model, tc, where + ": trainingConfig");
  if (optimizer_weights.empty()) return model;
  // "iter", then for each slot kind every trainable weight's slot "<layer>/<weight>/<suffix>".
  optim::Optimizer& opt = model->optimizer();
  const auto params = trainable_by_name(*model);
  std::map<std::string, Tensor> ow;
  for (const TfjsWeight* w : optimizer_weights) ow[w->name] = w->value;
  auto need = [&](const std::string& name) -> const Tensor& {
    auto it = ow.find(name);
    if (it == ow.end())
      throw IOError(where + ": optimizer weights have no '" + name + "' (" + opt.class_name() + "'s state)");
    return it->second;
  };
  const Tensor& iter = need("iter");
  if (iter.numel() != 1) throw IOError(where + ": optimizer weight 'iter' is not a scalar");
  std::vector<SlotMap> slots = slot_map(opt);
  if (ow.size() != 1 + slots.size() * params.size())
    throw IOError(where + ": " + std::to_string(ow.size()) + " optimizer weights; " + opt.class_name() + " of " +
                  std::to_string(params.size()) + " trainable weights has " +
                  std::to_string(1 + slots.size() * params.size()));
  std::vector<Tensor> ps;
  for (const auto& [k, p] : params) ps.push_back(p);
  auto current = opt.variables(ps);
  std::vector<Tensor> values{Tensor::scalar(iter.item(), i64)};
  if (current.size() > 1 && current[1].first == "learning_rate") values.push_back(current[1].second);
  const auto groups = opt.slot_groups();
  size_t first = 0;
  for (const auto& group : groups) {
    for (const auto& [key, p] : params)
      for (size_t j = 0; j < group.size(); ++j) {
        const SlotMap& m = slots[first + j];
        const Tensor& v = need(key + "/" + m.suffix);
        if (v.shape() != p.shape())
          throw IOError(where + ": optimizer weight '" + key + "/" + m.suffix + "' has shape " + v.shape().str() +
                        ", its weight " + p.shape().str());
        values.push_back(m.to_tfjs == 1.0 ? v : v.contiguous() * (1.0 / m.to_tfjs));
      }
    first += group.size();
  }
  const double lr = opt.learning_rate();
  opt.set_variables(ps, values);
  opt.set_learning_rate(lr);
  return model;
}
}  // namespace

// A JSON value of the wrong type in the topology or the training config (found by tfjs_topology_fuzz) is a
// ValueError naming the file.
std::shared_ptr<Model> build_tfjs_model(const TfjsModel& t, const std::string& where, bool compile) {
  try {
    return build_tfjs_model_unchecked(t, where, compile);
  } catch (const nlohmann::json::exception& e) {
    throw ValueError(where + ": malformed model.json: " + e.what());
  }
}

void save_tfjs_model(const Model& model, const std::string& path, bool include_optimizer) {
  const std::string where = "save_model: '" + path + "'";
  std::error_code ec;
  if (fs::path(path).extension() != ".json" && fs::exists(path, ec) && !fs::is_directory(path, ec))
    throw IOError(where + " is a file; TF.js Layers models are written as a model.json or into a directory");
  TfjsModel t;
  t.generated_by = "nabla";
  t.converted_by = nullptr;
  t.model_topology = tfjs_topology(model, where);
  for (const auto& layer : model.layers()) {
    NABLA_CHECK(layer->built(), "save_model: layer '", layer->name(), "' (", layer->type(), ") of model '",
                model.name(), "' is not built; call the model on data or give it an input shape first");
    for (const auto& w : layer->weights()) t.weights.push_back({layer->name() + "/" + w.name, w.value.detach(), ""});
  }
  if (include_optimizer && model.compiled()) {
    const size_t outputs = std::max<size_t>(1, model.output_names().size());
    if (outputs > 1) throw ValueError(where + ": TF.js's trainingConfig is written for single-output models only");
    json metrics = json::array();
    for (const auto& m : model.compiled_metrics()) metrics.push_back(function_name(metrics::serialize(*m), "metric", where));
    optim::Optimizer& opt = model.optimizer();
    t.extra["trainingConfig"] = {{"loss", function_name(losses::serialize(model.loss()), "loss", where)},
                                 {"metrics", metrics},
                                 {"optimizer_config", optimizer_to_tfjs(opt, where)}};
    const auto params = trainable_by_name(model);
    std::vector<Tensor> ps;
    for (const auto& [k, p] : params) ps.push_back(p);
    const std::vector<SlotMap> slots = slot_map(opt);
    t.weights.push_back({"iter", Tensor::scalar(double(opt.iterations()), i32), "optimizer"});
    if (!slots.empty()) {
      // TF.js lists each slot kind over all weights; nabla's slots of one weight sit together in variables_for.
      for (size_t s = 0; s < slots.size(); ++s)
        for (const auto& [key, p] : params) {
          auto vars = opt.variables_for(p);
          Tensor v = vars.empty() ? Tensor::zeros(p.shape(), p.dtype()) : vars.at(s).second.detach().contiguous();
          if (slots[s].to_tfjs != 1.0) v = v * slots[s].to_tfjs;
          t.weights.push_back({key + "/" + slots[s].suffix, v, "optimizer"});
        }
    }
  }
  const fs::path target(path);
  const fs::path dir = target.extension() == ".json" ? target.parent_path() : target;
  if (!dir.empty()) fs::create_directories(dir, ec);
  if (ec) throw IOError(where + ": cannot create directory '" + dir.string() + "': " + ec.message());
  write_tfjs_model(path, t);
}

}  // namespace nabla::io
