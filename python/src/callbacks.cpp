// Callbacks for fit: nabla's own (EarlyStopping, ModelCheckpoint, ...) with Keras's keyword arguments, and
// PyCallback, which forwards the hooks a Python Callback overrides to it, taking the GIL only for those.
#include <pybind11/stl.h>

#include <set>

#include "bindings.h"
#include "nabla/train/callbacks/csv_logger.h"
#include "nabla/train/callbacks/early_stopping.h"
#include "nabla/train/callbacks/model_checkpoint.h"
#include "nabla/train/callbacks/reduce_lr_on_plateau.h"
#include "nabla/train/callbacks/terminate_on_nan.h"
#include "py_ref.h"

namespace py = pybind11;

namespace nabla::python {
namespace {

using callbacks::Logs;

py::dict to_dict(const Logs& logs) {
  py::dict d;
  for (const auto& [k, v] : logs) d[py::str(k)] = v;
  return d;
}

// A Python object's hooks (a keras.callbacks.Callback subclass, LambdaCallback). Only the hooks named at
// construction are called, so a callback with on_epoch_end alone costs nothing per batch.
class PyCallback : public callbacks::Callback {
 public:
  PyCallback(py::object obj, const std::vector<std::string>& hooks) : obj_(std::move(obj)) {
    hooks_.insert(hooks.begin(), hooks.end());
  }
  void on_train_begin(Logs& l) override { call("on_train_begin", l); }
  void on_train_end(Logs& l) override { call("on_train_end", l); }
  void on_epoch_begin(int e, Logs& l) override { call("on_epoch_begin", l, e); }
  void on_epoch_end(int e, Logs& l) override { call("on_epoch_end", l, e); }
  void on_train_batch_begin(int64_t b, Logs& l) override { call("on_train_batch_begin", l, b); }
  void on_train_batch_end(int64_t b, Logs& l) override { call("on_train_batch_end", l, b); }
  void on_test_begin(Logs& l) override { call("on_test_begin", l); }
  void on_test_end(Logs& l) override { call("on_test_end", l); }

 private:
  void call(const char* hook, Logs& logs, std::optional<int64_t> index = std::nullopt) {
    if (!hooks_.count(hook)) return;
    ThreadGil gil;
    if (!gil.ok()) return;
    py::dict d = to_dict(logs);
    py::object fn = obj_.get().attr(hook);
    if (index)
      fn(*index, d);
    else
      fn(d);
    // Keras lets a callback add or change logged values (they reach later callbacks and History).
    for (auto item : d) {
      if (py::isinstance<py::float_>(item.second) || py::isinstance<py::int_>(item.second))
        logs[py::cast<std::string>(item.first)] = py::cast<double>(item.second);
    }
  }
  PyRef obj_;
  std::set<std::string> hooks_;
};

std::string monitor_mode(const std::string& mode) { return mode.empty() ? "auto" : mode; }

}  // namespace

void register_callbacks(py::module_& m) {
  py::class_<callbacks::Callback, callbacks::CallbackPtr>(m, "CppCallback");
  py::class_<PyCallback, callbacks::Callback, std::shared_ptr<PyCallback>>(m, "PyCallback")
      .def(py::init<py::object, std::vector<std::string>>(), py::arg("callback"), py::arg("hooks"));

  py::class_<callbacks::EarlyStopping, callbacks::Callback, std::shared_ptr<callbacks::EarlyStopping>>(
      m, "EarlyStopping")
      .def(py::init([](std::string monitor, double min_delta, int patience, int verbose, std::string mode,
                       std::optional<double> baseline, bool restore_best_weights, int start_from_epoch) {
             callbacks::EarlyStoppingOptions o;
             o.monitor = std::move(monitor);
             o.min_delta = min_delta;
             o.patience = patience;
             o.verbose = verbose;
             o.mode = monitor_mode(mode);
             o.baseline = baseline;
             o.restore_best_weights = restore_best_weights;
             o.start_from_epoch = start_from_epoch;
             return std::make_shared<callbacks::EarlyStopping>(o);
           }),
           py::arg("monitor") = "val_loss", py::arg("min_delta") = 0.0, py::arg("patience") = 0,
           py::arg("verbose") = 0, py::arg("mode") = "auto", py::arg("baseline") = py::none(),
           py::arg("restore_best_weights") = false, py::arg("start_from_epoch") = 0)
      .def_property_readonly("stopped_epoch", &callbacks::EarlyStopping::stopped_epoch)
      .def_property_readonly("best_epoch", &callbacks::EarlyStopping::best_epoch)
      .def_property_readonly("best", &callbacks::EarlyStopping::best);

  py::class_<callbacks::ModelCheckpoint, callbacks::Callback, std::shared_ptr<callbacks::ModelCheckpoint>>(
      m, "ModelCheckpoint")
      .def(py::init([](std::string filepath, std::string monitor, int verbose, bool save_best_only,
                       bool save_weights_only, std::string mode, std::optional<double> initial_value_threshold) {
             callbacks::ModelCheckpointOptions o;
             o.monitor = std::move(monitor);
             o.verbose = verbose;
             o.save_best_only = save_best_only;
             o.save_weights_only = save_weights_only;
             o.mode = monitor_mode(mode);
             o.initial_value_threshold = initial_value_threshold;
             return std::make_shared<callbacks::ModelCheckpoint>(std::move(filepath), o);
           }),
           py::arg("filepath"), py::arg("monitor") = "val_loss", py::arg("verbose") = 0,
           py::arg("save_best_only") = false, py::arg("save_weights_only") = false, py::arg("mode") = "auto",
           py::arg("initial_value_threshold") = py::none())
      .def_property_readonly("best", &callbacks::ModelCheckpoint::best)
      .def_property_readonly("last_saved", &callbacks::ModelCheckpoint::last_saved);

  py::class_<callbacks::ReduceLROnPlateau, callbacks::Callback, std::shared_ptr<callbacks::ReduceLROnPlateau>>(
      m, "ReduceLROnPlateau")
      .def(py::init([](std::string monitor, double factor, int patience, int verbose, std::string mode,
                       double min_delta, int cooldown, double min_lr) {
             callbacks::ReduceLROnPlateauOptions o;
             o.monitor = std::move(monitor);
             o.factor = factor;
             o.patience = patience;
             o.verbose = verbose;
             o.mode = monitor_mode(mode);
             o.min_delta = min_delta;
             o.cooldown = cooldown;
             o.min_lr = min_lr;
             return std::make_shared<callbacks::ReduceLROnPlateau>(o);
           }),
           py::arg("monitor") = "val_loss", py::arg("factor") = 0.1, py::arg("patience") = 10,
           py::arg("verbose") = 0, py::arg("mode") = "auto", py::arg("min_delta") = 1e-4, py::arg("cooldown") = 0,
           py::arg("min_lr") = 0.0);

  py::class_<callbacks::TerminateOnNaN, callbacks::Callback, std::shared_ptr<callbacks::TerminateOnNaN>>(
      m, "TerminateOnNaN")
      .def(py::init([] { return std::make_shared<callbacks::TerminateOnNaN>(); }));

  py::class_<callbacks::CSVLogger, callbacks::Callback, std::shared_ptr<callbacks::CSVLogger>>(m, "CSVLogger")
      .def(py::init([](std::string filename, std::string separator, bool append) {
             return std::make_shared<callbacks::CSVLogger>(std::move(filename), std::move(separator), append);
           }),
           py::arg("filename"), py::arg("separator") = ",", py::arg("append") = false);
}

}  // namespace nabla::python
