// nabla.data's C++ side: tf.data-style pipelines over nabla::data::Dataset. Python functions given to map and
// filter run on the pipeline's worker threads: each call takes the GIL only for itself, and every call that
// waits on the pipeline (next, destroying an iterator, fit) runs without the GIL, so parallel calls cannot
// deadlock against the thread that waits for them.
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include "bindings.h"
#include "nabla/data/dataset.h"
#include "nabla/data/text_vectorization.h"
#include "py_ref.h"

namespace py = pybind11;

namespace nabla::python {
namespace {

using data::Dataset;
using data::Element;

py::tuple element_tuple(const Element& e) {
  py::tuple t(e.size());
  for (size_t i = 0; i < e.size(); ++i) t[i] = to_numpy(e[i]);
  return t;
}

// A Python function's result as an element: a tuple/list is several components, anything else one.
Element element_of(const py::object& r) {
  Element out;
  if (py::isinstance<py::tuple>(r) || py::isinstance<py::list>(r)) {
    for (py::handle h : r) out.push_back(to_tensor(py::reinterpret_borrow<py::object>(h)));
  } else {
    out.push_back(to_tensor(r));
  }
  return out;
}

py::object call_with(const PyRef& fn, const Element& e, bool unpack) {
  py::tuple args = element_tuple(e);
  return unpack ? fn.get()(*args) : fn.get()(args[0]);
}

// One pass; waits for the pipeline without the GIL, and stops its workers without it too.
struct PyIterator {
  std::optional<data::Iterator> it;
  explicit PyIterator(const Dataset& ds) {
    py::gil_scoped_release nogil;
    it.emplace(ds.make_iterator());
  }
  ~PyIterator() {
    py::gil_scoped_release nogil;
    it.reset();
  }
  py::tuple next() {
    std::optional<Element> e;
    {
      py::gil_scoped_release nogil;
      e = it->next();
    }
    if (!e) throw py::stop_iteration();
    py::tuple t(e->size());
    for (size_t i = 0; i < e->size(); ++i) t[i] = py::cast((*e)[i]);
    return t;
  }
};

}  // namespace

void register_data(py::module_& m) {
  m.attr("AUTOTUNE") = data::AUTOTUNE;
  m.attr("INFINITE_CARDINALITY") = data::INFINITE_CARDINALITY;
  m.attr("UNKNOWN_CARDINALITY") = data::UNKNOWN_CARDINALITY;

  py::class_<PyIterator>(m, "DatasetIterator")
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", &PyIterator::next);

  using D = PyDataset;
  auto datasets = [](const std::vector<const D*>& ds) {
    std::vector<Dataset> r;
    for (const D* d : ds) r.push_back(d->get());
    return r;
  };
  py::class_<D>(m, "Dataset")
      .def_static("from_tensor_slices", [](std::vector<Tensor> ts) { return D(Dataset::from_tensor_slices(std::move(ts))); })
      .def_static("from_tensors", [](std::vector<Tensor> ts) { return D(Dataset::from_tensors(std::move(ts))); })
      .def_static("range", [](int64_t start, int64_t stop, int64_t step) { return D(Dataset::range(start, stop, step)); })
      .def_static("zip", [datasets](const std::vector<const D*>& ds) { return D(Dataset::zip(datasets(ds))); })
      .def_static("sample_from_datasets", [datasets](const std::vector<const D*>& ds, std::vector<double> weights,
                                                     std::optional<uint64_t> seed, bool stop_on_empty_dataset) {
        return D(Dataset::sample_from_datasets(datasets(ds), std::move(weights), seed, stop_on_empty_dataset));
      }, py::arg("datasets"), py::arg("weights") = std::vector<double>{}, py::arg("seed") = py::none(),
         py::arg("stop_on_empty_dataset") = false)
      .def("map", [](const D& ds, py::function fn, bool unpack, int64_t num_parallel_calls, bool deterministic) {
        PyRef f(std::move(fn));
        return D(ds.get().map([f, unpack](Element e) -> Element {
          ThreadGil gil;
          if (!gil.ok()) throw Error("nabla.data: the Python interpreter is shutting down");
          return element_of(call_with(f, e, unpack));
        }, num_parallel_calls, deterministic));
      }, py::arg("fn"), py::arg("unpack"), py::arg("num_parallel_calls") = 0, py::arg("deterministic") = true)
      .def("filter", [](const D& ds, py::function fn, bool unpack) {
        PyRef f(std::move(fn));
        return D(ds.get().filter([f, unpack](const Element& e) {
          ThreadGil gil;
          if (!gil.ok()) throw Error("nabla.data: the Python interpreter is shutting down");
          return py::bool_(call_with(f, e, unpack)).cast<bool>();
        }));
      })
      .def("shuffle", [](const D& ds, int64_t n, std::optional<uint64_t> seed, bool reshuffle) {
        return D(ds.get().shuffle(n, seed, reshuffle));
      }, py::arg("buffer_size"), py::arg("seed") = py::none(), py::arg("reshuffle_each_iteration") = true)
      .def("batch", [](const D& ds, int64_t n, bool drop) { return D(ds.get().batch(n, drop)); },
           py::arg("batch_size"), py::arg("drop_remainder") = false)
      .def("unbatch", [](const D& ds) { return D(ds.get().unbatch()); })
      .def("rebatch", [](const D& ds, int64_t n, bool drop) { return D(ds.get().rebatch(n, drop)); },
           py::arg("batch_size"), py::arg("drop_remainder") = false)
      .def("prefetch", [](const D& ds, int64_t n) { return D(ds.get().prefetch(n)); }, py::arg("buffer_size"))
      .def("cache", [](const D& ds, const std::string& f) { return D(ds.get().cache(f)); }, py::arg("filename") = "")
      .def("repeat", [](const D& ds, int64_t n) { return D(ds.get().repeat(n)); }, py::arg("count") = -1)
      .def("take", [](const D& ds, int64_t n) { return D(ds.get().take(n)); })
      .def("skip", [](const D& ds, int64_t n) { return D(ds.get().skip(n)); })
      .def("shard", [](const D& ds, int64_t n, int64_t i) { return D(ds.get().shard(n, i)); },
           py::arg("num_shards"), py::arg("index"))
      .def("concatenate", [](const D& ds, const D& other) { return D(ds.get().concatenate(other.get())); })
      .def("enumerate", [](const D& ds, int64_t start) { return D(ds.get().enumerate(start)); }, py::arg("start") = 0)
      .def("cardinality", [](const D& ds) { return ds.get().cardinality(); })
      .def("stats", [](const D& ds) { return ds.get().stats().str(); })
      .def("__iter__", [](const D& ds) { return std::make_unique<PyIterator>(ds.get()); });

  // What keras.layers.TextVectorization (python/nabla/keras/layers.py) runs: texts are Python str (UTF-8).
  using data::TextVectorization;
  py::class_<TextVectorization>(m, "TextVectorization")
      .def(py::init([](int64_t max_tokens, int64_t length, std::string standardize) {
             return TextVectorization({.max_tokens = max_tokens, .output_sequence_length = length,
                                       .standardize = std::move(standardize)});
           }),
           py::arg("max_tokens"), py::arg("output_sequence_length"), py::arg("standardize"))
      .def("adapt", &TextVectorization::adapt, py::call_guard<py::gil_scoped_release>())
      .def("set_vocabulary", &TextVectorization::set_vocabulary)
      .def("get_vocabulary", &TextVectorization::get_vocabulary)
      .def("vocabulary_size", &TextVectorization::vocabulary_size)
      .def("__call__", [](const TextVectorization& v, const std::vector<std::string>& texts) { return v(texts); },
           py::call_guard<py::gil_scoped_release>());
}

}  // namespace nabla::python
