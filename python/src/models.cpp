// Models for Python: Sequential, the functional Model and loaded models share nabla::Model's compile, fit,
// evaluate, predict, summary and save. fit/evaluate/predict run without the GIL (other Python threads keep
// running; Python callbacks take it back for their hooks) and check for Ctrl-C between steps, so
// KeyboardInterrupt arrives within a step and the model stays usable.
#include <pybind11/stl.h>

#include <iostream>
#include <sstream>

#include "bindings.h"
#include "nabla/io/model_file.h"
#include "nabla/train/functional.h"
#include "nabla/train/sequential.h"
#include "py_ref.h"

namespace py = pybind11;

namespace nabla::python {
namespace {

// Raises KeyboardInterrupt (or a signal handler's exception) out of a running fit between two steps.
struct InterruptCheck : callbacks::Callback {
  SignalCheck check;
  void on_train_batch_end(int64_t, callbacks::Logs&) override { check(); }
  void on_epoch_end(int, callbacks::Logs&) override { check(); }
  void on_test_end(callbacks::Logs&) override { check(); }
};

// What Python wrote so far goes out before the C++ progress bar, and the bar before later Python output.
void flush_python_stdout() {
  py::module_ sys = py::module_::import("sys");
  if (!sys.attr("stdout").is_none()) sys.attr("stdout").attr("flush")();
}

py::dict history_dict(const History& h) {
  py::dict d;
  for (const auto& [k, v] : h.history) d[py::str(k)] = py::cast(v);
  return d;
}

py::list eval_list(const EvalResult& r) {
  py::list l;
  for (const auto& [k, v] : r.values) l.append(py::make_tuple(k, v));
  return l;
}

template <class F>
auto run_without_gil(F&& f) {
  flush_python_stdout();
  decltype(f()) r;
  {
    py::gil_scoped_release nogil;
    r = f();
    std::cout.flush();
  }
  return r;
}

FitOptions with_interrupt_check(FitOptions o) {
  o.callbacks.push_back(std::make_shared<InterruptCheck>());
  return o;
}

}  // namespace

void register_models(py::module_& m) {
  py::class_<FitOptions>(m, "FitOptions")
      .def(py::init<>())
      .def_readwrite("epochs", &FitOptions::epochs)
      .def_readwrite("batch_size", &FitOptions::batch_size)
      .def_readwrite("verbose", &FitOptions::verbose)
      .def_readwrite("callbacks", &FitOptions::callbacks)
      .def_readwrite("validation_split", &FitOptions::validation_split)
      .def_readwrite("shuffle", &FitOptions::shuffle)
      .def_readwrite("class_weight", &FitOptions::class_weight)
      .def_readwrite("sample_weight", &FitOptions::sample_weight)
      .def_readwrite("initial_epoch", &FitOptions::initial_epoch)
      .def_readwrite("steps_per_epoch", &FitOptions::steps_per_epoch)
      .def_readwrite("validation_steps", &FitOptions::validation_steps)
      .def("set_validation_data", [](FitOptions& o, std::vector<Tensor> xs, std::vector<Tensor> ys) {
        o.validation_data = ValidationData(std::move(xs), std::move(ys));
      })
      // The pipeline is passed to fit itself (below), so that no long-lived Python object holds it.
      ;

  py::class_<Model, std::shared_ptr<Model>>(m, "Model")
      .def_property_readonly("name", &Model::name)
      .def_property_readonly("layers", &Model::layers)
      .def_property_readonly("compiled", &Model::compiled)
      .def_readwrite("stop_training", &Model::stop_training)
      .def_property_readonly("output_names", &Model::output_names)
      .def_property("learning_rate", [](const Model& md) { return md.optimizer().learning_rate(); },
                    [](Model& md, double lr) { md.optimizer().set_learning_rate(lr); })
      .def_property_readonly("optimizer_name", [](const Model& md) { return md.optimizer().name(); })
      .def("compile", [](Model& md, optim::OptimizerPtr opt, losses::LossPtr loss, py::list metrics,
                         py::list weighted) {
        auto args = [](py::list l) {
          std::vector<MetricArg> r;
          for (py::handle h : l) {
            if (py::isinstance<py::str>(h))
              r.emplace_back(h.cast<std::string>());
            else
              r.emplace_back(h.cast<metrics::MetricPtr>());
          }
          return r;
        };
        md.compile(std::move(opt), std::move(loss), args(metrics), args(weighted));
      }, py::arg("optimizer"), py::arg("loss"), py::arg("metrics"), py::arg("weighted_metrics"))
      .def("fit", [](Model& md, std::vector<Tensor> xs, std::vector<Tensor> ys, const FitOptions& o,
                     const PyDataset* val) {
        FitOptions opts = with_interrupt_check(o);
        if (val) opts.validation_data = ValidationData(val->get());
        History h = run_without_gil([&] { return md.fit(xs, ys, opts); });
        drop_without_gil(opts);
        return py::make_tuple(h.epoch, history_dict(h));
      }, py::arg("xs"), py::arg("ys"), py::arg("options"), py::arg("validation_dataset") = nullptr)
      .def("fit_dataset", [](Model& md, const PyDataset& ds, const FitOptions& o, const PyDataset* val) {
        FitOptions opts = with_interrupt_check(o);
        if (val) opts.validation_data = ValidationData(val->get());
        History h = run_without_gil([&] { return md.fit(ds.get(), opts); });
        drop_without_gil(opts);
        return py::make_tuple(h.epoch, history_dict(h));
      }, py::arg("dataset"), py::arg("options"), py::arg("validation_dataset") = nullptr)
      .def("evaluate", [](Model& md, std::vector<Tensor> xs, std::vector<Tensor> ys, int64_t batch_size, int verbose,
                          std::optional<Tensor> sample_weight, std::vector<callbacks::CallbackPtr> cbs) {
        EvaluateOptions o{.batch_size = batch_size, .verbose = verbose, .sample_weight = sample_weight.value_or(Tensor()),
                          .callbacks = std::move(cbs)};
        return eval_list(run_without_gil([&] { return md.evaluate(xs, ys, o); }));
      })
      .def("evaluate_dataset", [](Model& md, const PyDataset& ds, int verbose,
                                  std::vector<callbacks::CallbackPtr> cbs) {
        EvaluateOptions o{.verbose = verbose, .callbacks = std::move(cbs)};
        return eval_list(run_without_gil([&] { return md.evaluate(ds.get(), o); }));
      })
      .def("predict", [](Model& md, std::vector<Tensor> xs, int64_t batch_size, int verbose) {
        PredictOptions o{.batch_size = batch_size, .verbose = verbose};
        return run_without_gil([&] { return md.predict(xs, o); });
      })
      .def("predict_dataset", [](Model& md, const PyDataset& ds, int verbose) {
        PredictOptions o{.verbose = verbose};
        return run_without_gil([&] { return std::vector<Tensor>{md.predict(ds.get(), o)}; });
      })
      .def("predict_on_batch", [](Model& md, std::vector<Tensor> xs) { return md.predict_on_batch(xs); },
           py::call_guard<py::gil_scoped_release>())
      .def("train_on_batch", [](Model& md, const Tensor& x, const Tensor& y, std::optional<Tensor> sw) {
        return md.train_on_batch(x, y, sw.value_or(Tensor()));
      }, py::call_guard<py::gil_scoped_release>())
      .def("test_on_batch", [](Model& md, const Tensor& x, const Tensor& y, std::optional<Tensor> sw) {
        return md.test_on_batch(x, y, sw.value_or(Tensor()));
      }, py::call_guard<py::gil_scoped_release>())
      .def("call", [](Model& md, std::vector<Tensor> xs, bool training) { return md.call(xs, training); },
           py::call_guard<py::gil_scoped_release>())
      .def("summary", [](Model& md) {
        std::ostringstream os;
        md.summary(os);
        return os.str();
      })
      .def("count_params", &Model::count_params)
      .def("build_if_possible", &Model::build_if_possible)
      .def("get_weights", &Model::get_weights)
      .def("set_weights", &Model::set_weights)
      .def("save_weights", &Model::save_weights, py::call_guard<py::gil_scoped_release>())
      .def("load_weights", &Model::load_weights, py::call_guard<py::gil_scoped_release>())
      .def("save", [](const Model& md, const std::string& path, bool include_optimizer) {
        save_model(md, path, SaveOptions{.include_optimizer = include_optimizer});
      }, py::arg("path"), py::arg("include_optimizer") = true, py::call_guard<py::gil_scoped_release>());

  py::class_<Sequential, Model, std::shared_ptr<Sequential>>(m, "Sequential")
      .def(py::init([](std::vector<nn::LayerPtr> layers, std::string name) {
        return std::make_shared<Sequential>(std::move(layers), std::move(name));
      }), py::arg("layers"), py::arg("name") = "")
      .def("add", &Sequential::add)
      .def("build", [](Sequential& s, const std::vector<int64_t>& shape) { s.build(Shape(shape)); });

  py::class_<Functional, Model, std::shared_ptr<Functional>>(m, "Functional")
      .def(py::init([](std::vector<KerasTensor> in, std::vector<KerasTensor> out, std::string name) {
        return std::make_shared<Functional>(std::move(in), std::move(out), std::move(name));
      }), py::arg("inputs"), py::arg("outputs"), py::arg("name") = "");

  m.def("load_model", [](const std::string& path, bool compile) {
    return load_model(path, LoadOptions{.compile = compile});
  }, py::arg("path"), py::arg("compile") = true, py::call_guard<py::gil_scoped_release>());
}

}  // namespace nabla::python
