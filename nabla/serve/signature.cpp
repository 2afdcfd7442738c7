#include "nabla/serve/signature.h"

#include "nabla/train/functional.h"
#include "nabla/train/sequential.h"

namespace nabla::serve {

Signature signature_of(const Model& model) {
  Signature sig;
  if (auto* f = dynamic_cast<const Functional*>(&model)) {
    for (const auto& in : f->inputs()) {
      Shape s = in.shape();
      sig.inputs.push_back({in.name(), f32, s, false});
    }
  } else if (auto* s = dynamic_cast<const Sequential*>(&model)) {
    const nlohmann::json cfg = s->get_config();
    TensorInfo in{"input_layer", f32, Shape{}, true};
    if (auto layers = cfg.find("layers"); layers != cfg.end() && layers->is_array() && !layers->empty()) {
      const auto& first = layers->front();
      if (first.value("class_name", "") == "InputLayer" && first.contains("config") &&
          first["config"].value("name", "").size() > 0)
        in.name = first["config"]["name"].get<std::string>();
    }
    if (auto it = cfg.find("build_input_shape"); it != cfg.end() && it->is_array() && !it->empty()) {
      Shape sh;
      for (const auto& d : *it) sh.push_back(d.is_number_integer() ? d.get<int64_t>() : -1);
      sh[0] = -1;
      in.shape = sh;
      in.unknown_rank = false;
    }
    sig.inputs.push_back(in);
  } else {
    sig.inputs.push_back({"input_layer", f32, Shape{}, true});
  }
  std::vector<std::string> names = model.output_names();
  std::vector<Shape> shapes = model.output_shapes();
  if (names.empty()) {
    auto ls = model.layer_output_shapes();
    if (!ls.empty()) {
      names.push_back(ls.back().first->name());
      shapes = {ls.back().second};
    } else if (auto layers = model.layers(); !layers.empty()) {
      names.push_back(layers.back()->name());
    } else {
      names.push_back("output_0");
    }
  }
  for (size_t i = 0; i < names.size(); ++i) {
    TensorInfo out{names[i], f32, Shape{}, true};
    if (i < shapes.size() && shapes[i].size() > 0) {
      out.shape = shapes[i];
      out.shape[0] = -1;
      out.unknown_rank = false;
    }
    sig.outputs.push_back(out);
  }
  return sig;
}

const char* tf_dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32: return "DT_FLOAT";
    case DType::f64: return "DT_DOUBLE";
    case DType::i32: return "DT_INT32";
    case DType::i64: return "DT_INT64";
    case DType::u8: return "DT_UINT8";
  }
  return "DT_INVALID";
}

std::string shape_string(const Shape& shape, bool unknown_rank) {
  if (unknown_rank) return "[?]";
  std::string r = "[";
  for (int i = 0; i < shape.size(); ++i) {
    if (i) r += ',';
    r += std::to_string(shape[i]);
  }
  return r + "]";
}

namespace {
nlohmann::json tensor_info_json(const TensorInfo& t, const std::string& tensor_name) {
  nlohmann::json dims = nlohmann::json::array();
  if (!t.unknown_rank)
    for (int64_t d : t.shape) dims.push_back({{"size", std::to_string(d)}, {"name", ""}});
  return {{"dtype", tf_dtype_name(t.dtype)},
          {"tensor_shape", {{"dim", dims}, {"unknown_rank", t.unknown_rank}}},
          {"name", tensor_name}};
}
}  // namespace

nlohmann::json signature_def_json(const Signature& sig) {
  nlohmann::json inputs = nlohmann::json::object(), outputs = nlohmann::json::object();
  // Tensor names as a Keras SavedModel's serving_default has them.
  for (const auto& t : sig.inputs) inputs[t.name] = tensor_info_json(t, "serving_default_" + t.name + ":0");
  for (size_t i = 0; i < sig.outputs.size(); ++i)
    outputs[sig.outputs[i].name] = tensor_info_json(sig.outputs[i], "StatefulPartitionedCall:" + std::to_string(i));
  return {{"inputs", inputs}, {"outputs", outputs}, {"method_name", sig.method_name},
          {"defaults", nlohmann::json::object()}};
}

}  // namespace nabla::serve
