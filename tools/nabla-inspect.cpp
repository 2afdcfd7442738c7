// nabla-inspect FILE: what a model file holds: the model's summary, its input and output signatures (name, dtype,
// shape with -1 for the batch), and the compile config and optimizer state it brings back. For an .onnx file it
// first prints the ONNX graph itself: its inputs, outputs and ops.
#include <CLI/CLI.hpp>

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "nabla/io/model_file.h"
#include "nabla/io/onnx_import.h"
#include "nabla/train/functional.h"
#include "nabla/train/sequential.h"

namespace {

std::string shape_str(const nabla::Shape& s) {
  std::string r = "[";
  for (int i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

void print_signature(nabla::Model& model, std::ostream& os) {
  os << "inputs:\n";
  if (auto* f = dynamic_cast<nabla::Functional*>(&model)) {
    for (const auto& in : f->inputs()) os << "  " << in.name() << "  float32  " << shape_str(in.shape()) << "\n";
  } else if (auto* s = dynamic_cast<nabla::Sequential*>(&model)) {
    nlohmann::json cfg = s->get_config();
    std::string shape = "unknown (built on first call)";
    if (auto it = cfg.find("build_input_shape"); it != cfg.end() && it->is_array()) {
      nabla::Shape sh;
      for (const auto& d : *it) sh.push_back(d.is_number_integer() ? d.get<int64_t>() : -1);
      if (sh.size() > 0) sh[0] = -1;
      shape = shape_str(sh);
    }
    os << "  input_layer  float32  " << shape << "\n";
  }
  os << "outputs:\n";
  const std::vector<std::string> names = model.output_names();
  const std::vector<nabla::Shape> shapes = model.output_shapes();
  if (!names.empty()) {
    for (size_t i = 0; i < names.size(); ++i)
      os << "  " << names[i] << "  float32  " << (i < shapes.size() ? shape_str(shapes[i]) : "unknown") << "\n";
  } else if (auto ls = model.layer_output_shapes(); !ls.empty()) {
    os << "  " << ls.back().first->name() << "  float32  " << shape_str(ls.back().second) << "\n";
  }
}

void print_compiled(nabla::Model& model, std::ostream& os) {
  if (!model.compiled()) {
    os << "compiled: no (the file has no compile config)\n";
    return;
  }
  os << "loss: " << model.loss().class_name() << "\n";
  std::string metrics;
  for (const auto& m : model.compiled_metrics()) metrics += (metrics.empty() ? "" : ", ") + m->name();
  os << "metrics: [" << metrics << "]\n";
  nabla::optim::Optimizer& opt = model.optimizer();
  const auto vars = opt.variables(model.trainable_weights());
  os << "optimizer: " << opt.class_name() << " " << opt.get_config().dump() << "\n";
  os << "optimizer state: iterations " << opt.iterations() << ", " << vars.size() << " variables ("
     << opt.slot_names().size() << " slots per weight: ";
  std::string slots;
  for (const auto& n : opt.slot_names()) slots += (slots.empty() ? "" : ", ") + n;
  os << (slots.empty() ? "none" : slots) << ")\n";
}

std::string dims_str(const std::vector<std::string>& d) {
  std::string r = "[";
  for (size_t i = 0; i < d.size(); ++i) r += (i ? ", " : "") + d[i];
  return r + "]";
}

// The graph as the file declares it, whether or not nabla can import it.
void print_onnx_graph(const std::string& path, std::ostream& os) {
  const nabla::io::OnnxGraphInfo g = nabla::io::describe_onnx(path);
  os << "onnx: ir_version " << g.ir_version << ", opset " << g.opset << ", producer '" << g.producer << "', graph '"
     << g.graph_name << "', " << g.initializers << " initializers (" << g.parameters << " values)\n";
  os << "graph inputs:\n";
  for (const auto& v : g.inputs) os << "  " << v.name << "  " << v.elem_type << "  " << dims_str(v.dims) << "\n";
  os << "graph outputs:\n";
  for (const auto& v : g.outputs) os << "  " << v.name << "  " << v.elem_type << "  " << dims_str(v.dims) << "\n";
  std::map<std::string, int> counts;
  for (const auto& n : g.nodes) ++counts[(n.domain.empty() ? "" : n.domain + ".") + n.op_type];
  os << "ops: " << g.nodes.size() << " nodes:";
  for (const auto& [op, c] : counts) os << " " << op << " x" << c;
  os << "\nnodes:\n";
  for (const auto& n : g.nodes) {
    os << "  " << n.name << "  " << n.op_type << "  (";
    for (size_t i = 0; i < n.inputs.size(); ++i) os << (i ? ", " : "") << n.inputs[i];
    os << ") -> (";
    for (size_t i = 0; i < n.outputs.size(); ++i) os << (i ? ", " : "") << n.outputs[i];
    os << ")\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Prints what a model file holds: summary, input/output signatures, compile config, optimizer state"};
  std::string path;
  app.add_option("FILE", path, "model file (.keras, .h5, model.json, .onnx: whatever load_model reads)")->required();
  CLI11_PARSE(app, argc, argv);
  try {
    if (path.size() > 5 && path.compare(path.size() - 5, 5, ".onnx") == 0) {
      print_onnx_graph(path, std::cout);
      std::cout << "imported as:\n";
    }
    std::shared_ptr<nabla::Model> model;
    std::string compile_error;
    try {
      model = nabla::load_model(path);
    } catch (const nabla::ValueError& e) {
      // The architecture and weights may still load (a Keras model compiled without a loss, say): show them.
      compile_error = e.what();
      model = nabla::load_model(path, {.compile = false});
    }
    std::cout << "file: " << path << "\n";
    model->summary(std::cout);
    print_signature(*model, std::cout);
    if (compile_error.empty()) print_compiled(*model, std::cout);
    else std::cout << "compiled: no; the file's compile config does not load: " << compile_error << "\n";
  } catch (const std::exception& e) {
    std::cerr << "nabla-inspect: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
