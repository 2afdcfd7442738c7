#include "nabla/io/model_file.h"

#include <map>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "nabla/autograd/grad_mode.h"
#include "nabla/core/error.h"
#include "nabla/io/keras_archive.h"
#include "nabla/io/onnx_export.h"
#include "nabla/io/onnx_import.h"
#include "nabla/io/keras_legacy_model.h"
#include "nabla/io/tfjs_model.h"
#include "nabla/nn/weight_groups.h"
#include "nabla/train/functional.h"
#include "nabla/train/model_config.h"
#include "nabla/train/sequential.h"

namespace nabla {
namespace {

using json = nlohmann::json;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void check_keras_path(const std::string& path, const char* who) {
  if (!ends_with(path, ".keras"))
    throw ValueError(std::string(who) + ": '" + path +
                     "' does not end in .keras; nabla reads and writes whole models as Keras 3 .keras files "
                     "(use save_weights/load_weights for weights alone)");
}

// The layers that own a path in the weights file, with that path. Keras walks a model's `layers` list and names
// each entry by its class in snake case, numbered per class in order ("dense", "dense_1", "conv2d"). A
// Sequential's list has no InputLayer; a functional model's has one per input.
std::vector<std::pair<nn::LayerPtr, std::string>> keras_layer_paths(const Model& model) {
  const bool sequential = dynamic_cast<const Sequential*>(&model) != nullptr;
  std::map<std::string, int> used;
  std::vector<std::pair<nn::LayerPtr, std::string>> r;
  for (const auto& l : model.layers()) {
    if (sequential && l->type() == "InputLayer") continue;
    std::string name = nn::snake_case(l->type());
    auto [it, fresh] = used.try_emplace(name, 0);
    if (!fresh) name.append(1, '_').append(std::to_string(++it->second));  // not "_" + ...: GCC 12 -O3 -Wrestrict
    r.emplace_back(l, "layers/" + name);
  }
  return r;
}

// The layers' weights by Keras object path: a layer's own under its path, those a sub-object holds (a recurrent
// layer's cell, Bidirectional's forward_layer/cell, TimeDistributed's layer; nn::Weight::group) below it.
struct WeightGroup {
  nn::LayerPtr layer;
  std::string path, vars_name;
  std::vector<const nn::Weight*> weights;
};
std::vector<WeightGroup> keras_weight_groups(const Model& model) {
  std::vector<WeightGroup> r;
  for (const auto& [layer, p] : keras_layer_paths(model)) {
    std::vector<std::string> order{""};
    std::map<std::string, std::vector<const nn::Weight*>> by;
    const auto& ws = layer->weights();
    for (size_t i = 0; i < ws.size(); ++i) {
      const std::string g = nn::keras_weight_group(*layer, i);
      if (!g.empty() && !by.count(g)) order.push_back(g);
      by[g].push_back(&ws[i]);
    }
    for (const std::string& g : order)
      r.push_back({layer, g.empty() ? p : p + "/" + g, g.empty() ? layer->name() : g.substr(g.rfind('/') + 1),
                   by[g]});
  }
  return r;
}

// Keras writes one loss and one metric list per output for models with several outputs.
json per_output(const json& v, size_t outputs) { return outputs > 1 ? json(std::vector<json>(outputs, v)) : v; }

json metrics_json(const std::vector<metrics::MetricPtr>& ms, size_t outputs) {
  if (ms.empty()) return nullptr;
  json list = json::array();
  for (const auto& m : ms) list.push_back(metrics::serialize(*m));
  return per_output(list, outputs);
}

json compile_config(const Model& model) {
  const size_t outputs = std::max<size_t>(1, model.output_names().size());
  return {{"optimizer", optim::serialize(model.optimizer())},
          {"loss", per_output(losses::serialize(model.loss()), outputs)},
          {"loss_weights", nullptr},
          {"metrics", metrics_json(model.compiled_metrics(), outputs)},
          {"weighted_metrics", metrics_json(model.compiled_weighted_metrics(), outputs)},
          {"run_eagerly", false},
          {"steps_per_execution", 1},
          {"jit_compile", false}};
}

// A per-output list (Keras's form for several outputs) must say the same for every output: nabla applies one
// loss and one metric list to all outputs.
json one_for_all(const json& v, const std::string& what, const std::string& where) {
  if (v.is_object() && !v.contains("class_name"))
    throw ValueError(where + ": " + what + " given per output name (" + v.dump() +
                     "); nabla applies one " + what + " to every output");
  const bool per_output = v.is_array() && !v.empty() && (what == "loss" || v[0].is_array());
  if (!per_output) return v;
  for (const auto& e : v)
    if (e != v[0])
      throw ValueError(where + ": " + what + " differs between outputs (" + v.dump() + "); nabla applies one " +
                       what + " to every output");
  return v[0];
}

std::vector<MetricArg> metric_args(const json& v, const std::string& where) {
  std::vector<MetricArg> r;
  if (v.is_null()) return r;
  json list = one_for_all(v, "metrics", where);
  if (!list.is_array()) throw ValueError(where + ": metrics is " + list.dump() + ", not a list");
  for (const auto& m : list) {
    if (m.is_string())
      r.emplace_back(m.get<std::string>());
    else
      r.emplace_back(metrics::deserialize(m));
  }
  return r;
}

void compile_from_config(Model& model, const json& cc, const std::string& where) {
  if (!cc.is_object()) throw ValueError(where + ": compile_config is " + cc.dump() + ", not an object");
  if (cc.contains("loss_weights") && !cc["loss_weights"].is_null())
    throw ValueError(where + ": compile_config has loss_weights " + cc["loss_weights"].dump() +
                     "; nabla does not weigh outputs' losses");
  const json& loss = cc.contains("loss") ? cc["loss"] : json();
  if (loss.is_null()) throw ValueError(where + ": compile_config has no loss");
  optim::OptimizerPtr opt = optim::deserialize(cc.value("optimizer", json("rmsprop")));
  losses::LossPtr l = losses::deserialize(one_for_all(loss, "loss", where));
  model.compile(opt, l, metric_args(cc.value("metrics", json()), where),
                metric_args(cc.value("weighted_metrics", json()), where));
}

std::string shapes_str(const std::vector<const nn::Weight*>& ws) {
  std::string s;
  for (const auto* w : ws) s += (s.empty() ? "" : ", ") + w->name + " " + w->value.shape().str();
  return s.empty() ? "none" : s;
}

// Copies the file's variables into the model's layers; checks everything first so that a mismatch leaves the
// model as it was.
void assign_layer_weights(Model& model, const io::KerasWeights& w, const std::string& where) {
  std::vector<std::pair<Tensor, Tensor>> copies;
  std::map<std::string, bool> expected{{"", true}, {"optimizer", true}};
  for (const auto& [layer, path, vars_name, ws] : keras_weight_groups(model)) {
    expected[path] = true;
    auto it = w.objects.find(path);
    if (it == w.objects.end()) {
      if (ws.empty()) continue;  // Keras writes empty groups for weightless layers; their absence is harmless
      throw IOError(where + ": no variables at '" + path + "' for layer '" + layer->name() + "' (" + layer->type() +
                    ", expects " + shapes_str(ws) + ")");
    }
    const auto& values = it->second.values;
    if (values.size() != ws.size())
      throw IOError(where + ": '" + path + "/vars' holds " + std::to_string(values.size()) + " variables but layer '" +
                    layer->name() + "' (" + layer->type() + ") has " + std::to_string(ws.size()) + " (" +
                    shapes_str(ws) + ")");
    for (size_t i = 0; i < ws.size(); ++i) {
      if (values[i].shape() != ws[i]->value.shape())
        throw IOError(where + ": '" + path + "/vars/" + std::to_string(i) + "' has shape " + values[i].shape().str() +
                      " but layer '" + layer->name() + "' expects " + ws[i]->name + " of shape " +
                      ws[i]->value.shape().str());
      if (values[i].dtype() != ws[i]->value.dtype())
        throw IOError(where + ": '" + path + "/vars/" + std::to_string(i) + "' is " + dtype_name(values[i].dtype()) +
                      " but layer '" + layer->name() + "' expects " + ws[i]->name + " as " +
                      dtype_name(ws[i]->value.dtype()));
      copies.emplace_back(ws[i]->value, values[i]);
    }
  }
  for (const auto& [path, vars] : w.objects)
    if (!expected.count(path) && !vars.values.empty())
      throw IOError(where + ": holds variables at '" + path + "' that no layer of model '" + model.name() + "' has");
  NoGradGuard ng;
  for (auto& [dst, src] : copies) dst.copy_(src);
}

// Keras writes only iterations and the learning rate for an optimizer that never stepped (it builds the slots on
// the first step); otherwise every variable.
void restore_optimizer(Model& model, const std::vector<Tensor>& values, const std::string& where) {
  optim::Optimizer& opt = model.optimizer();
  const std::vector<Tensor> params = model.trainable_weights();
  const auto vars = opt.variables(params);
  const bool has_lr = vars.size() > 1 && vars[1].first == "learning_rate";
  const double config_lr = opt.learning_rate();
  const size_t scalars = has_lr ? 2 : 1;
  try {
    if (values.size() == scalars && vars.size() > scalars) {
      std::vector<Tensor> full;
      for (size_t i = 0; i < vars.size(); ++i) full.push_back(i < scalars ? values[i] : vars[i].second.detach().clone());
      opt.set_variables(params, full);
    } else {
      opt.set_variables(params, values);
    }
  } catch (const Error& e) {
    throw IOError(where + ": 'optimizer/vars' does not fit the model's " + std::to_string(params.size()) +
                  " trainable weights: " + e.what());
  }
  // The file holds the rate as float32; the config's number is the rate as given. Keep the latter when they
  // agree, so that training resumes with exactly the rate it had.
  if (has_lr && float(config_lr) == float(opt.learning_rate())) opt.set_learning_rate(config_lr);
}

}  // namespace

void save_model(const Model& model, const std::string& path, SaveOptions opts) {
  if (ends_with(path, ".onnx")) return io::export_onnx(model, path, opts.onnx_opset);
  if (io::is_tfjs_path(path)) return io::save_tfjs_model(model, path, opts.include_optimizer);  // TF.js Layers
  check_keras_path(path, "save_model");
  io::KerasArchive a;
  a.config = serialize_model(model);
  if (opts.include_optimizer && model.compiled()) a.config["compile_config"] = compile_config(model);
  a.weights.objects[""] = {model.name(), {}};
  for (const auto& [layer, p, vars_name, ws] : keras_weight_groups(model)) {
    NABLA_CHECK(layer->built(), "save_model: layer '", layer->name(), "' (", layer->type(), ") of model '",
                model.name(), "' is not built; call the model on data or give it an input shape first");
    io::KerasVars v{vars_name, {}};
    for (const auto* w : ws) v.values.push_back(w->value.detach().contiguous());
    a.weights.objects[p] = std::move(v);
  }
  if (opts.include_optimizer && model.compiled()) {
    io::KerasVars v{optim::serialize(model.optimizer())["config"].value("name", model.optimizer().name()), {}};
    for (auto& [name, t] : model.optimizer().variables(model.trainable_weights()))
      v.values.push_back(t.detach().contiguous());
    a.weights.objects["optimizer"] = std::move(v);
  }
  io::write_keras_archive(path, a);
}

std::shared_ptr<Model> load_model(const std::string& path, LoadOptions opts) {
  // ONNX graphs come in as inference models (uncompiled: an .onnx file has no training config).
  if (ends_with(path, ".onnx")) return io::load_onnx_model(path);
  if (ends_with(path, ".h5")) return io::load_legacy_keras_model(path, opts.compile);  // Keras 2 / tf_keras H5
  if (io::is_tfjs_path(path)) return io::load_tfjs_model(path, opts.compile);          // TF.js Layers
  check_keras_path(path, "load_model");
  io::KerasArchive a = io::read_keras_archive(path);
  const std::string config_where = "load_model: '" + path + "': config.json";
  std::shared_ptr<Model> model;
  try {
    model = deserialize_model(a.config);
    model->build_if_possible();
  } catch (const nlohmann::json::exception& e) {
    throw ValueError(config_where + ": " + e.what());
  } catch (const Error& e) {
    throw ValueError(config_where + ": " + e.what());
  }
  assign_layer_weights(*model, a.weights, "load_model: '" + path + "': model.weights.h5");
  // Keras 3 writes "compile_config": {} for a model that was never compiled: it loads uncompiled.
  const bool has_compile = a.config.contains("compile_config") && !a.config["compile_config"].is_null() &&
                           !(a.config["compile_config"].is_object() && a.config["compile_config"].empty());
  if (opts.compile && has_compile) {
    try {
      compile_from_config(*model, a.config["compile_config"], config_where + ": compile_config");
    } catch (const Error& e) {
      const std::string what = e.what();
      if (what.rfind(config_where, 0) == 0) throw;
      throw ValueError(config_where + ": compile_config: " + what);
    }
    if (a.weights.contains("optimizer"))
      restore_optimizer(*model, a.weights.optimizer(), "load_model: '" + path + "': model.weights.h5");
  }
  return model;
}

void Model::save(const std::string& path) const { save_model(*this, path); }

// ---- Keras 3's weights file (train/weights_io.h) ----

void save_weights_h5(const Model& model, const std::string& path) {
  io::KerasWeights w;
  w.objects[""] = {model.name(), {}};
  for (const auto& [layer, p, vars_name, ws] : keras_weight_groups(model)) {
    NABLA_CHECK(layer->built(), "save_weights: layer '", layer->name(), "' (", layer->type(), ") of model '",
                model.name(), "' is not built; call the model on data or give it an input shape first");
    io::KerasVars v{vars_name, {}};
    for (const auto* wt : ws) v.values.push_back(wt->value.detach().contiguous());
    w.objects[p] = std::move(v);
  }
  if (model.compiled()) {
    io::KerasVars v{optim::serialize(model.optimizer())["config"].value("name", model.optimizer().name()), {}};
    for (auto& [name, t] : model.optimizer().variables(model.trainable_weights()))
      v.values.push_back(t.detach().contiguous());
    w.objects["optimizer"] = std::move(v);
  }
  io::save_keras_weights(path, w);
}

void load_weights_h5(Model& model, const std::string& path) {
  model.build_if_possible();
  io::KerasWeights w = io::load_keras_weights(path);
  const std::string where = "load_weights: '" + path + "'";
  assign_layer_weights(model, w, where);
  if (model.compiled() && w.contains("optimizer")) restore_optimizer(model, w.optimizer(), where);
}

}  // namespace nabla
