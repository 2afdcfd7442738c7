#pragma once
// One registration function per concept; module.cpp calls them in order.
#include <pybind11/pybind11.h>

namespace nabla::python {
void register_errors(pybind11::module_& m);
void register_tensor(pybind11::module_& m);
}  // namespace nabla::python
