#pragma once
// Python objects held by C++ code that may run, copy or drop them on threads without the GIL (pipeline workers,
// fit's callbacks): PyRef takes the GIL whenever it touches the reference count, and run_interruptibly()
// releases the GIL around long C++ work while Ctrl-C still stops it.
#include <pybind11/pybind11.h>

#include <chrono>
#include <memory>

namespace nabla::python {

// False once the interpreter is shutting down: a thread that takes the GIL then is ended by Python
// (pthread_exit), which unwinding through C++ turns into std::terminate. Pipeline workers can still be finishing
// a pass (a prefetch runs ahead) at exit, so they leave Python objects alone from then on.
inline bool python_alive() {
#if PY_VERSION_HEX >= 0x030D0000
  return Py_IsInitialized() && !Py_IsFinalizing();
#else
  return Py_IsInitialized() && !_Py_IsFinalizing();
#endif
}

// A shared reference to a Python object; the last copy to go drops it under the GIL, on whichever thread (at
// interpreter exit it is left to the process's end).
class PyRef {
 public:
  PyRef() = default;
  explicit PyRef(pybind11::object o)
      : p_(new pybind11::object(std::move(o)), [](pybind11::object* q) {
          if (!python_alive()) return;
          pybind11::gil_scoped_acquire gil;
          delete q;
        }) {}
  // Only with the GIL held.
  const pybind11::object& get() const { return *p_; }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  std::shared_ptr<pybind11::object> p_;
};

// Raises the pending KeyboardInterrupt (or what a signal handler raised) as a C++ exception, at most every
// `period` so that a busy loop does not contend for the GIL at every step. Call without the GIL held.
class SignalCheck {
 public:
  explicit SignalCheck(std::chrono::milliseconds period = std::chrono::milliseconds(50)) : period_(period) {}
  void operator()() {
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < period_) return;
    last_ = now;
    pybind11::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) throw pybind11::error_already_set();
  }

 private:
  std::chrono::milliseconds period_;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace nabla::python
