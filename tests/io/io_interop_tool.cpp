// nabla_io_interop_tool: the C++ side of the interop tests (tests/io/*.py, *.mjs). The Python and Node scripts build
// files with the real Keras, tf_keras and TF.js, call this tool to read them with nabla's readers (dumping JSON
// with every value) or to write files with nabla's writers (from such JSON), and check the results themselves.
//   keras-dump IN.keras OUT.json          keras-write IN.json OUT.keras
//   weights-dump IN.weights.h5 OUT.json   weights-write IN.json OUT.weights.h5
//   legacy-dump IN.h5 OUT.json
//   tfjs-dump MODEL.json OUT.json         tfjs-rewrite IN/model.json OUT_DIR SHARD_BYTES
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "nabla/core/atomic_file.h"
#include "nabla/io/keras_archive.h"
#include "nabla/io/keras_legacy_h5.h"
#include "nabla/io/tfjs_weights.h"

using nlohmann::json;
using namespace nabla;
using namespace nabla::io;

namespace {

json tensor_json(const Tensor& t) {
  json data = json::array();
  NABLA_DISPATCH_ALL(t.dtype(), T, {
    Tensor c = t.contiguous();
    for (int64_t i = 0; i < c.numel(); ++i) data.push_back(c.data<T>()[i]);
  });
  return {{"dtype", dtype_name(t.dtype())}, {"shape", t.shape().vec()}, {"data", data}};
}

Tensor tensor_from(const json& j) {
  Shape shape(j.at("shape").get<std::vector<int64_t>>());
  const std::string dt = j.at("dtype").get<std::string>();
  for (DType d : {f32, f64, i32, i64, u8}) {
    if (dt != dtype_name(d)) continue;
    Tensor t = Tensor::empty(shape, d);
    const json& data = j.at("data");
    if (int64_t(data.size()) != t.numel()) throw ValueError("tensor data has the wrong length");
    NABLA_DISPATCH_ALL(d, T, {
      for (int64_t i = 0; i < t.numel(); ++i) t.data<T>()[i] = data[size_t(i)].get<T>();
    });
    return t;
  }
  throw ValueError("unknown dtype " + dt);
}

json weights_json(const KerasWeights& w) {
  json out = json::object();
  for (const auto& [path, v] : w.objects) {
    json values = json::array();
    for (const auto& t : v.values) values.push_back(tensor_json(t));
    out[path] = {{"name", v.name}, {"values", values}};
  }
  return out;
}

KerasWeights weights_from(const json& j) {
  KerasWeights w;
  for (const auto& [path, v] : j.items()) {
    KerasVars vars{v.at("name").get<std::string>(), {}};
    for (const auto& t : v.at("values")) vars.values.push_back(tensor_from(t));
    w.objects[path] = std::move(vars);
  }
  return w;
}

json named_json(const std::vector<NamedTensor>& v) {
  json out = json::array();
  for (const auto& [name, t] : v) {
    json e = tensor_json(t);
    e["name"] = name;
    out.push_back(e);
  }
  return out;
}

void write_json(const std::string& path, const json& j) { write_file_atomic(path, j.dump(), "interop tool"); }
json read_json(const std::string& path) { return json::parse(read_file(path, "interop tool")); }

int run(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  auto need = [&](int n) {
    if (argc != n + 2) throw ValueError("usage: see the comment at the top of io_interop_tool.cpp");
  };
  if (cmd == "keras-dump") {
    need(2);
    KerasArchive a = read_keras_archive(argv[2]);
    json assets = json::array();
    for (const auto& [name, bytes] : a.assets) assets.push_back(name);
    write_json(argv[3], {{"metadata", a.metadata}, {"config", a.config}, {"weights", weights_json(a.weights)},
                         {"assets", assets}});
  } else if (cmd == "keras-write") {
    need(2);
    json j = read_json(argv[2]);
    KerasArchive a;
    a.config = j.at("config");
    a.weights = weights_from(j.at("weights"));
    write_keras_archive(argv[3], a);
  } else if (cmd == "weights-dump") {
    need(2);
    write_json(argv[3], weights_json(load_keras_weights(argv[2])));
  } else if (cmd == "weights-write") {
    need(2);
    save_keras_weights(argv[3], weights_from(read_json(argv[2])));
  } else if (cmd == "legacy-dump") {
    need(2);
    LegacyKerasH5 m = read_legacy_keras_h5(argv[2]);
    json layers = json::array();
    for (const auto& l : m.layers) layers.push_back({{"name", l.layer_name}, {"weights", named_json(l.weights)}});
    write_json(argv[3], {{"model_config", m.model_config}, {"training_config", m.training_config},
                         {"keras_version", m.keras_version}, {"backend", m.backend}, {"layers", layers},
                         {"optimizer_weights", named_json(m.optimizer_weights)}});
  } else if (cmd == "tfjs-dump") {
    need(2);
    TfjsModel m = read_tfjs_model(argv[2]);
    json weights = json::array();
    for (const auto& w : m.weights) {
      json e = tensor_json(w.value);
      e["name"] = w.name;
      e["group"] = w.group;
      weights.push_back(e);
    }
    write_json(argv[3], {{"format", m.format}, {"generatedBy", m.generated_by}, {"convertedBy", m.converted_by},
                         {"modelTopology", m.model_topology}, {"extra", m.extra}, {"weights", weights}});
  } else if (cmd == "tfjs-rewrite") {
    need(3);
    TfjsModel m = read_tfjs_model(argv[2]);
    m.generated_by = "nabla io_interop_tool";
    write_tfjs_model(argv[3], m, std::stoul(argv[4]));
  } else {
    throw ValueError("unknown command '" + cmd + "'; see the comment at the top of io_interop_tool.cpp");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "nabla_io_interop_tool: " << e.what() << "\n";
    return 1;
  }
}
