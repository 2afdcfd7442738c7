// nabla.keras.layers' C++ side: any registered layer is made from its Keras config (the Python classes turn
// Keras's keyword arguments into that config), so every layer takes exactly Keras's argument names. Layers run
// eagerly on tensors, or symbolically on KerasTensors (the functional API).
#include <pybind11/stl.h>

#include <nlohmann/json.hpp>

#include "bindings.h"
#include "nabla/nn/layer_registry.h"
#include "nabla/train/functional.h"

namespace py = pybind11;

namespace nabla::python {
namespace {

py::tuple shape_tuple(const Shape& s) {
  py::tuple t(s.size());
  for (int i = 0; i < s.size(); ++i) t[i] = s[i] < 0 ? py::object(py::none()) : py::object(py::int_(s[i]));
  return t;
}

}  // namespace

void register_layers(py::module_& m) {
  py::class_<nn::Layer, nn::LayerPtr>(m, "Layer")
      .def_property_readonly("name", &nn::Layer::name)
      .def_property_readonly("_id", [](const nn::Layer& l) { return reinterpret_cast<uintptr_t>(&l); })
      .def_property_readonly("type", &nn::Layer::type)
      .def_property_readonly("built", &nn::Layer::built)
      .def_readwrite("trainable", &nn::Layer::trainable)
      .def("get_config", [](const nn::Layer& l) { return l.get_config().dump(); }, "Keras's config, as JSON text")
      .def("serialize", [](const nn::Layer& l) { return nn::serialize_layer(l).dump(); })
      .def("count_params", &nn::Layer::count_params)
      .def_property_readonly("weights", [](nn::Layer& l) {
        std::vector<Tensor> r;
        for (auto& w : l.weights()) r.push_back(w.value);
        return r;
      }, "The layer's variables (live tensors; np.asarray views them without copying)")
      .def_property_readonly("weight_names", [](nn::Layer& l) {
        std::vector<std::string> r;
        for (auto& w : l.weights()) r.push_back(w.name);
        return r;
      })
      .def_property_readonly("trainable_weights", &nn::Layer::trainable_weights)
      .def_property_readonly("non_trainable_weights", &nn::Layer::non_trainable_weights)
      .def("build", [](nn::Layer& l, const std::vector<int64_t>& shape) { l.ensure_built({Shape(shape)}); })
      .def("compute_output_shape", [](const nn::Layer& l, const std::vector<int64_t>& shape) {
        return shape_tuple(l.compute_output_shape({Shape(shape)}));
      })
      .def("call", [](nn::Layer& l, const Tensor& x, bool training) { return l(x, training); },
           py::arg("x"), py::arg("training") = false, py::call_guard<py::gil_scoped_release>())
      .def("call", [](nn::Layer& l, const std::vector<Tensor>& xs, bool training) { return l(xs, training); },
           py::arg("xs"), py::arg("training") = false, py::call_guard<py::gil_scoped_release>());

  m.def("layer_from_config", [](const std::string& serialized) {
    return nn::deserialize_layer(nlohmann::json::parse(serialized), /*build=*/false);
  }, py::arg("serialized"), "A layer from Keras's serialized form {class_name, config, ...} (JSON text)");

  py::class_<KerasTensor>(m, "KerasTensor")
      .def_property_readonly("shape", [](const KerasTensor& t) { return shape_tuple(t.shape()); })
      .def_property_readonly("name", &KerasTensor::name)
      .def_property_readonly("layer", &KerasTensor::layer)
      .def("__repr__", [](const KerasTensor& t) {
        return "<KerasTensor shape=" + std::string(py::str(shape_tuple(t.shape()))) + ", name=" + t.name() + ">";
      });
  m.def("Input", [](const std::vector<int64_t>& shape, const std::string& name) { return Input(shape, name); },
        py::arg("shape"), py::arg("name") = "");
  m.def("apply_layer", [](const nn::LayerPtr& l, const KerasTensor& x) { return apply_layer(l, x); });
  m.def("apply_layer",
        [](const nn::LayerPtr& l, const std::vector<KerasTensor>& xs) { return apply_layer(l, xs); });
}

}  // namespace nabla::python
