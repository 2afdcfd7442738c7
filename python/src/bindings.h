#pragma once
// One registration function per concept; module.cpp calls them in order.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <optional>

#include "nabla/core/tensor.h"
#include "nabla/data/dataset.h"

namespace nabla::python {
void register_errors(pybind11::module_& m);
void register_tensor(pybind11::module_& m);
void register_layers(pybind11::module_& m);
void register_compile_objects(pybind11::module_& m);
void register_callbacks(pybind11::module_& m);
void register_data(pybind11::module_& m);
void register_models(pybind11::module_& m);
void register_debugging(pybind11::module_& m);

// A numpy view of t (no copy); the array keeps the tensor's storage alive. Needs the GIL.
pybind11::array to_numpy(const Tensor& t);
// A tensor over an array-like's memory (no copy for a numpy array of a nabla dtype); float64 becomes float32,
// nabla's (and Keras's) compute type, by copy. Needs the GIL.
Tensor to_tensor(const pybind11::object& o);

// A pipeline held by Python. Dropping a pipeline can wait for its background work (a prefetch keeps the next
// pass running ahead), which may be calling Python map functions that need the GIL: so it is dropped without it.
struct PyDataset {
  std::optional<data::Dataset> ds;
  explicit PyDataset(data::Dataset d) : ds(std::move(d)) {}
  PyDataset(const PyDataset&) = default;
  ~PyDataset() {
    if (PyGILState_Check()) {
      pybind11::gil_scoped_release nogil;
      ds.reset();
    }
  }
  const data::Dataset& get() const { return *ds; }
};

// Destroys `value` without the GIL (for C++ objects that may hold the last reference to a pipeline).
template <class T>
void drop_without_gil(T& value) {
  pybind11::gil_scoped_release nogil;
  T gone = std::move(value);
  (void)gone;
}
}  // namespace nabla::python
