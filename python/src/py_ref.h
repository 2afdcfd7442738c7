#pragma once
// Python objects held by C++ code that may run, copy or drop them on threads without the GIL (pipeline workers,
// fit's callbacks): PyRef takes the GIL whenever it touches the reference count, and run_interruptibly()
// releases the GIL around long C++ work while Ctrl-C still stops it.
#include <pybind11/pybind11.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>

namespace nabla::python {

// The GIL for code that may run on nabla's own threads (pipeline workers, a prefetch running ahead, the deleters
// of tensors that share numpy memory). When the interpreter exits, a thread that takes the GIL is ended by Python
// with pthread_exit, and that unwinding through C++ aborts the process ("FATAL: exception not rethrown"). Checking
// Py_IsFinalizing() before taking the GIL leaves a window (a flaky abort in 2 of 60 runs of
// tests/python/smoke_venv.py), so the module registers an atexit hook, which runs before finalization begins:
// close_thread_gil() shuts this gate and waits, without the GIL, for the holders inside it to leave. From then on
// ThreadGil takes nothing and ok() is false: callers skip their Python work (a reference is left to the process's
// end) or fail with an error.
namespace detail {
inline std::atomic<int> thread_gil_users{0};
inline std::atomic<bool> thread_gil_closed{false};
}  // namespace detail

class ThreadGil {
 public:
  ThreadGil() {
    detail::thread_gil_users.fetch_add(1);
    if (detail::thread_gil_closed.load() || !Py_IsInitialized()) return;
    gil_.emplace();
  }
  ~ThreadGil() {
    gil_.reset();
    detail::thread_gil_users.fetch_sub(1);
  }
  ThreadGil(const ThreadGil&) = delete;
  ThreadGil& operator=(const ThreadGil&) = delete;
  bool ok() const { return gil_.has_value(); }

 private:
  std::optional<pybind11::gil_scoped_acquire> gil_;
};

// The atexit hook (called with the GIL held): closes the gate, then waits up to `limit` for the threads inside.
inline void close_thread_gil(std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  detail::thread_gil_closed.store(true);
  pybind11::gil_scoped_release nogil;
  const auto end = std::chrono::steady_clock::now() + limit;
  while (detail::thread_gil_users.load() > 0 && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

// A shared reference to a Python object; the last copy to go drops it under the GIL, on whichever thread (at
// interpreter exit it is left to the process's end).
class PyRef {
 public:
  PyRef() = default;
  explicit PyRef(pybind11::object o)
      : p_(new pybind11::object(std::move(o)), [](pybind11::object* q) {
          ThreadGil gil;
          if (!gil.ok()) return;
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
    ThreadGil gil;
    if (gil.ok() && PyErr_CheckSignals() != 0) throw pybind11::error_already_set();
  }

 private:
  std::chrono::milliseconds period_;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace nabla::python
