// The _nabla extension module: C++ errors become the Python exceptions Keras raises.
#include "bindings.h"

#include "nabla/core/error.h"

namespace py = pybind11;

namespace nabla::python {
void register_errors(py::module_&) {
  // Most specific first: pybind11 tries translators in reverse registration order.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const nabla::IOError& e) {
      PyErr_SetString(PyExc_IOError, e.what());
    } catch (const nabla::ShapeError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const nabla::ValueError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const nabla::Error& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });
}
}  // namespace nabla::python

PYBIND11_MODULE(_nabla, m) {
  m.doc() = "nabla C++ core";
  nabla::python::register_errors(m);
  nabla::python::register_tensor(m);
}
