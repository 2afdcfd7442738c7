// The _nabla extension module: C++ errors become the Python exceptions Keras raises.
#include "bindings.h"
#include "py_ref.h"

#include "nabla/core/error.h"
#include "nabla/debug/check_numerics.h"

namespace py = pybind11;

namespace nabla::python {
void register_errors(py::module_& m) {
  // tf.debugging.check_numerics raises tf.errors.InvalidArgumentError; nabla's is a ValueError too.
  static py::exception<debug::NumericsError> invalid_argument(m, "InvalidArgumentError", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const debug::NumericsError& e) {
      PyErr_SetString(invalid_argument.ptr(), e.what());  // py::exception's operator() is deprecated in pybind11 3
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
  // Before finalization begins, stop nabla's threads from taking the GIL (see ThreadGil in py_ref.h).
  py::module_::import("atexit").attr("register")(py::cpp_function([] { nabla::python::close_thread_gil(); }));
  nabla::python::register_errors(m);
  nabla::python::register_tensor(m);
  nabla::python::register_layers(m);
  nabla::python::register_compile_objects(m);
  nabla::python::register_callbacks(m);
  nabla::python::register_data(m);
  nabla::python::register_models(m);
  nabla::python::register_debugging(m);
}
