// Optimizers, losses and metrics for compile(): built from Keras's serialized form (the Python classes write
// it from their keyword arguments) or from a Keras name, so both compile("adam", ...) and
// compile(optimizers.Adam(learning_rate=1e-3), ...) work as in Keras.
#include <pybind11/stl.h>

#include <nlohmann/json.hpp>

#include "bindings.h"
#include "nabla/optim/optimizer.h"
#include "nabla/train/losses.h"
#include "nabla/train/metrics.h"

namespace py = pybind11;

namespace nabla::python {

void register_compile_objects(py::module_& m) {
  py::class_<optim::Optimizer, optim::OptimizerPtr>(m, "Optimizer")
      .def_property_readonly("name", &optim::Optimizer::name)
      .def_property("learning_rate", &optim::Optimizer::learning_rate, &optim::Optimizer::set_learning_rate)
      .def("get_config", [](const optim::Optimizer& o) { return optim::serialize(o).dump(); });
  m.def("optimizer_get", &optim::get, py::arg("name"));
  m.def("optimizer_from_config", [](const std::string& s) { return optim::deserialize(nlohmann::json::parse(s)); });

  py::class_<losses::Loss, losses::LossPtr>(m, "Loss")
      .def_property_readonly("name", &losses::Loss::name)
      .def("__call__", [](const losses::Loss& l, const Tensor& y_true, const Tensor& y_pred, std::optional<Tensor> sw) {
        return l(y_true, y_pred, sw.value_or(Tensor()));
      }, py::arg("y_true"), py::arg("y_pred"), py::arg("sample_weight") = py::none(),
         py::call_guard<py::gil_scoped_release>())
      .def("get_config", [](const losses::Loss& l) { return losses::serialize(l).dump(); });
  m.def("loss_get", &losses::get, py::arg("name"));
  m.def("loss_from_config", [](const std::string& s) { return losses::deserialize(nlohmann::json::parse(s)); });

  py::class_<metrics::Metric, metrics::MetricPtr>(m, "Metric")
      .def_property_readonly("name", &metrics::Metric::name)
      .def("update_state", [](metrics::Metric& mt, const Tensor& y_true, const Tensor& y_pred, std::optional<Tensor> sw) {
        mt.update_state(y_true, y_pred, sw.value_or(Tensor()));
      }, py::arg("y_true"), py::arg("y_pred"), py::arg("sample_weight") = py::none(),
         py::call_guard<py::gil_scoped_release>())
      .def("result", &metrics::Metric::result)
      .def("reset_state", &metrics::Metric::reset_state)
      .def("get_config", [](const metrics::Metric& mt) { return metrics::serialize(mt).dump(); });
  m.def("metric_get", [](const std::string& name) { return metrics::get(name); }, py::arg("name"));
  m.def("metric_from_config", [](const std::string& s) { return metrics::deserialize(nlohmann::json::parse(s)); });
}

}  // namespace nabla::python
