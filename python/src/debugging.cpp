// nabla.debugging (tf.debugging's check_numerics and enable_check_numerics), the imbalance utilities
// (class weights, resampling, stratified splits) and the datasets' loaders, over nabla's C++ ones.
#include <pybind11/stl.h>

#include "bindings.h"
#include "nabla/data/datasets/fashion_mnist.h"
#include "nabla/data/datasets/mnist.h"
#include "nabla/data/imbalance/labels.h"
#include "nabla/data/imbalance/resample.h"
#include "nabla/data/imbalance/train_test_split.h"
#include "nabla/debug/check_numerics.h"
#include "nabla/debug/numerics_mode.h"
#include "nabla/train/class_weight.h"

namespace py = pybind11;

namespace nabla::python {
namespace {

py::tuple loaded(const datasets::LoadedData& d) {
  return py::make_tuple(py::make_tuple(to_numpy(d.train.images), to_numpy(d.train.labels)),
                        py::make_tuple(to_numpy(d.test.images), to_numpy(d.test.labels)));
}

}  // namespace

void register_debugging(py::module_& m) {
  m.def("check_numerics", [](const Tensor& t, const std::string& message) { return debug::check_numerics(t, message); },
        py::arg("tensor"), py::arg("message"), py::call_guard<py::gil_scoped_release>());
  m.def("enable_check_numerics", [](bool dump_on_failure, const std::string& dump_dir) {
    debug::NumericsOptions o;
    o.dump_on_failure = dump_on_failure;
    o.dump_dir = dump_dir;
    debug::enable_check_numerics(o);
  }, py::arg("dump_on_failure") = true, py::arg("dump_dir") = "");
  m.def("disable_check_numerics", &debug::disable_check_numerics);
  m.def("check_numerics_enabled", &debug::check_numerics_enabled);

  m.def("compute_class_weight", [](const std::string& mode, const Tensor& y) { return compute_class_weight(mode, y); },
        py::arg("class_weight"), py::arg("y"));
  m.def("compute_sample_weight", [](const std::string& mode, const Tensor& y) { return compute_sample_weight(mode, y); },
        py::arg("class_weight"), py::arg("y"));
  m.def("compute_sample_weight", [](const std::map<int64_t, double>& cw, const Tensor& y) {
    return compute_sample_weight(cw, y);
  }, py::arg("class_weight"), py::arg("y"));
  m.def("effective_number_class_weight",
        [](const Tensor& y, double beta) { return effective_number_class_weight(y, beta); }, py::arg("y"),
        py::arg("beta") = 0.999);
  m.def("class_id_counts", [](const Tensor& y) { return class_id_counts(y); });
  m.def("resample", [](std::vector<Tensor> arrays, bool replace, int64_t n_samples, std::optional<uint64_t> random_state,
                       std::optional<Tensor> stratify) {
    data::ResampleOptions o;
    o.replace = replace;
    o.n_samples = n_samples;
    o.random_state = random_state;
    if (stratify) o.stratify = *stratify;
    NABLA_CHECK(!arrays.empty(), "resample: no arrays given");
    const int64_t n = arrays[0].dim() ? arrays[0].shape()[0] : 1;
    std::vector<int64_t> idx = data::resample_indices(n, o);
    std::vector<Tensor> out;
    for (const Tensor& a : arrays) {
      NABLA_CHECK(a.dim() && a.shape()[0] == n, "resample: arrays have ", n, " and ",
                  a.dim() ? a.shape()[0] : 0, " rows; all must have the same number");
      out.push_back(data::gather_rows(a, idx));
    }
    return out;
  }, py::arg("arrays"), py::arg("replace"), py::arg("n_samples"), py::arg("random_state"), py::arg("stratify"));
  m.def("train_test_split", [](const Tensor& x, const Tensor& y, double test_size, bool shuffle,
                               std::optional<Tensor> stratify, std::optional<uint64_t> random_state) {
    data::SplitOptions o;
    o.test_size = test_size;
    o.shuffle = shuffle;
    if (stratify) o.stratify = *stratify;
    o.random_state = random_state;
    data::Split s = data::train_test_split(x, y, o);
    return py::make_tuple(to_numpy(s.x_train), to_numpy(s.x_test), to_numpy(s.y_train), to_numpy(s.y_test));
  });

  m.def("mnist_load_data", [] { return loaded(datasets::mnist::load_data()); });
  m.def("fashion_mnist_load_data", [] { return loaded(datasets::fashion_mnist::load_data()); });
  m.def("data_dir", &datasets::data_dir);
}

}  // namespace nabla::python
