// nabla.Tensor <-> numpy without copying, in both directions.
//   numpy -> Tensor (from_numpy): the tensor's Storage points at the array's buffer and holds a reference to the
//     array, released (under the GIL) when the last tensor/view over it goes away.
//   Tensor -> numpy (buffer protocol, Tensor.numpy()): the array's base is the Tensor object, which keeps the
//     storage alive after the Python name of the tensor is deleted.
#include <pybind11/numpy.h>
#include <pybind11/operators.h>
#include <pybind11/stl.h>

#include "bindings.h"
#include "py_ref.h"
#include "nabla/core/random.h"
#include "nabla/core/tensor.h"
#include "nabla/ops/activations.h"
#include "nabla/ops/linear.h"
#include "nabla/ops/math.h"

namespace py = pybind11;

namespace nabla::python {
namespace {

std::string numpy_format(DType t) {
  switch (t) {
    case DType::f32: return py::format_descriptor<float>::format();
    case DType::f64: return py::format_descriptor<double>::format();
    case DType::i32: return py::format_descriptor<int32_t>::format();
    case DType::i64: return py::format_descriptor<int64_t>::format();
    case DType::u8: return py::format_descriptor<uint8_t>::format();
  }
  return "";
}

DType dtype_from_numpy(const py::dtype& dt) {
  if (dt.is(py::dtype::of<float>())) return DType::f32;
  if (dt.is(py::dtype::of<double>())) return DType::f64;
  if (dt.is(py::dtype::of<int32_t>())) return DType::i32;
  if (dt.is(py::dtype::of<int64_t>())) return DType::i64;
  if (dt.is(py::dtype::of<uint8_t>())) return DType::u8;
  if (dt.equal(py::dtype::of<float>())) return DType::f32;
  if (dt.equal(py::dtype::of<double>())) return DType::f64;
  if (dt.equal(py::dtype::of<int32_t>())) return DType::i32;
  if (dt.equal(py::dtype::of<int64_t>())) return DType::i64;
  if (dt.equal(py::dtype::of<uint8_t>())) return DType::u8;
  throw py::type_error("nabla tensors hold float32, float64, int32, int64 or uint8; got numpy dtype " +
                       std::string(py::str(py::handle(dt))));
}

py::buffer_info buffer_of(const Tensor& t) {
  const auto item = ssize_t(dtype_size(t.dtype()));
  std::vector<ssize_t> shape, strides;
  for (int i = 0; i < t.dim(); ++i) {
    shape.push_back(ssize_t(t.shape()[i]));
    strides.push_back(ssize_t(t.strides()[i]) * item);
  }
  return py::buffer_info(t.raw_data(), item, numpy_format(t.dtype()), t.dim(), shape, strides);
}

// Wraps the array's memory; copies only when numpy's strides are not whole, non-negative element counts.
Tensor from_numpy(py::array a) {
  const DType dt = dtype_from_numpy(a.dtype());
  // Read from Python, not pybind11's view of the dtype struct: numpy 2 moved PyArray_Descr's elsize, which
  // pybind11 < 2.12 reads at numpy 1's offset (the project venv has numpy 2).
  const auto item = a.attr("itemsize").cast<ssize_t>();
  bool strided_ok = true;
  for (ssize_t i = 0; i < a.ndim(); ++i)
    if (a.strides(i) < 0 || a.strides(i) % item != 0) strided_ok = false;
  if (!strided_ok) a = py::array::ensure(a, py::array::c_style);
  if (!a.writeable()) throw py::value_error("from_numpy: the array is read-only (nabla tensors are writable)");
  std::vector<int64_t> dims, strides;
  for (ssize_t i = 0; i < a.ndim(); ++i) {
    dims.push_back(int64_t(a.shape(i)));
    strides.push_back(int64_t(a.strides(i) / item));
  }
  // A 0-byte Storage (one small pooled block), its data pointer swapped for the array's; the deleter swaps the
  // pooled block back so ~Storage returns it, then drops the array reference under the GIL.
  auto* st = new Storage(0);
  void* pooled = st->data;
  st->data = a.mutable_data();
  st->nbytes = a.attr("nbytes").cast<size_t>();
  PyObject* owner = a.ptr();
  Py_INCREF(owner);
  auto storage = std::shared_ptr<Storage>(st, [pooled, owner](Storage* s) {
    s->data = pooled;
    s->nbytes = 0;
    delete s;
    ThreadGil gil;
    if (gil.ok()) Py_DECREF(owner);  // else at exit: the array goes with the process
  });
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::move(storage);
  impl->shape = Shape(dims);
  impl->strides = Shape(strides);
  impl->dtype = dt;
  return Tensor(impl);
}

Shape to_shape(const std::vector<int64_t>& v) { return Shape(v); }

}  // namespace

// Through the buffer protocol (numpy.asarray of a memoryview of the Tensor object): the array's base keeps the
// tensor alive, and no pybind11 code reads numpy's structs (whose layout numpy 2 changed under pybind11 2.10).
py::array view_of(const py::object& tensor_obj) {
  py::object mv = py::reinterpret_steal<py::object>(PyMemoryView_FromObject(tensor_obj.ptr()));
  if (!mv) throw py::error_already_set();
  return py::module_::import("numpy").attr("asarray")(mv);
}

py::array to_numpy(const Tensor& t) { return view_of(py::cast(t)); }

Tensor to_tensor(const py::object& o) {
  if (py::isinstance<Tensor>(o)) return o.cast<Tensor>();
  py::array a = py::array::ensure(o);
  if (!a) throw py::type_error("expected a numpy array or a nabla Tensor, got " + std::string(py::str(py::type::handle_of(o))));
  if (a.dtype().equal(py::dtype::of<double>())) {
    if (!a.writeable() || !(a.flags() & py::array::c_style))
      a = py::array::ensure(a.attr("copy")(), py::array::c_style);
    Tensor wide = from_numpy(a);
    py::gil_scoped_release nogil;
    return wide.to(f32);  // on nabla's threads (numpy's astype runs on one)
  }
  if (a.dtype().attr("kind").cast<std::string>() == "b") a = a.attr("astype")(py::dtype::of<uint8_t>());
  if (!a.writeable()) a = a.attr("copy")();
  return from_numpy(a);
}

void register_tensor(py::module_& m) {
  py::class_<Tensor>(m, "Tensor", py::buffer_protocol())
      .def_buffer([](Tensor& t) { return buffer_of(t); })
      .def(py::init([](py::array a) { return from_numpy(py::array::ensure(a, py::array::c_style)).clone(); }),
           py::arg("array"), "A tensor holding a copy of the array's values")
      .def_property_readonly("shape", [](const Tensor& t) {
        py::tuple s(t.dim());
        for (int i = 0; i < t.dim(); ++i) s[i] = t.shape()[i];
        return s;
      })
      .def_property_readonly("dtype", [](const Tensor& t) { return std::string(dtype_name(t.dtype())); })
      .def_property_readonly("ndim", &Tensor::dim)
      .def("numpy", [](py::object self) {
        return view_of(self);
      }, "A numpy view of this tensor (no copy; writes are visible both ways)")
      .def("__array__", [](py::object self, py::object) {
        return view_of(self);
      }, py::arg("dtype") = py::none())
      .def("item", &Tensor::item)
      .def("sum", [](const Tensor& t) { return t.sum(); })
      .def("mean", [](const Tensor& t) { return t.mean(); })
      .def("reshape", [](const Tensor& t, const std::vector<int64_t>& s) { return t.reshape(to_shape(s)); })
      .def("clone", &Tensor::clone)
      .def("float", [](const Tensor& t) { return t.to(f32); }, py::call_guard<py::gil_scoped_release>(),
           "A float32 copy (self when already float32), as torch.Tensor.float()")
      .def("detach", &Tensor::detach)
      .def_property("requires_grad", &Tensor::requires_grad,
                    [](Tensor& t, bool on) { t.requires_grad_(on); })
      .def_property_readonly("grad", [](const Tensor& t) -> py::object {
        Tensor g = t.grad();
        return g.defined() ? py::cast(g) : py::none();
      })
      .def("zero_grad", &Tensor::zero_grad)
      .def("backward", [](const Tensor& t) {
        py::gil_scoped_release nogil;
        t.backward();
      })
      .def(py::self + py::self).def(py::self - py::self).def(py::self * py::self).def(py::self / py::self)
      .def(py::self + double()).def(py::self - double()).def(py::self * double()).def(py::self / double())
      .def(double() + py::self).def(double() * py::self)
      .def("__neg__", [](const Tensor& t) { return neg(t); })
      .def("__matmul__", [](const Tensor& a, const Tensor& b) { return matmul(a, b); }, py::call_guard<py::gil_scoped_release>())
      .def("__len__", [](const Tensor& t) { return t.dim() ? t.shape()[0] : 0; })
      .def("__repr__", &Tensor::str);

  m.def("from_numpy", &from_numpy, py::arg("array"),
        "A tensor over the array's memory (no copy); the tensor keeps the array alive");
  m.def("tensor", [](py::array a) { return from_numpy(py::array::ensure(a, py::array::c_style)).clone(); },
        py::arg("array"), "A tensor holding a copy of the array");
  // tf.random.set_seed / torch.manual_seed: the default generator behind initializers, dropout and shuffling.
  m.def("manual_seed", [](uint64_t seed) { manual_seed(seed); }, py::arg("seed"));
  m.def("zeros", [](const std::vector<int64_t>& s) { return Tensor::zeros(to_shape(s)); });
  m.def("ones", [](const std::vector<int64_t>& s) { return Tensor::ones(to_shape(s)); });
  m.def("matmul", [](const Tensor& a, const Tensor& b) { return matmul(a, b); }, py::call_guard<py::gil_scoped_release>());
  m.def("relu", [](const Tensor& x) { return relu(x); });
}

}  // namespace nabla::python
