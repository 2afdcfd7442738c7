#include "nabla/io/onnx_import.h"

// onnx_pb.h defines ONNX_API and includes onnx-ml.pb.h (ONNX_ML=1, as Debian built libonnx_proto).
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "nabla/autograd/grad_mode.h"
#include "nabla/io/onnx_op.h"
#include "nabla/nn/activation.h"
#include "nabla/nn/add.h"
#include "nabla/nn/advanced_activations.h"
#include "nabla/nn/average_pooling2d.h"
#include "nabla/nn/batch_normalization.h"
#include "nabla/nn/concatenate.h"
#include "nabla/nn/conv2d.h"
#include "nabla/nn/dense.h"
#include "nabla/nn/embedding.h"
#include "nabla/nn/flatten.h"
#include "nabla/nn/global_average_pooling2d.h"
#include "nabla/nn/max_pooling2d.h"
#include "nabla/nn/permute.h"
#include "nabla/nn/reshape.h"
#include "nabla/ops/activations.h"
#include "nabla/ops/linear.h"
#include "nabla/ops/math.h"
#include "nabla/ops/padding.h"
#include "nabla/ops/pooling.h"
#include "nabla/ops/shape_ops.h"
#include "nabla/train/functional.h"

namespace nabla::io {
namespace {

using Order = std::vector<int>;  // nabla axis k holds ONNX axis order[k]

// Sizes a hostile file may ask for are checked against these before anything is allocated or looped over.
constexpr int kMaxRank = 8;
constexpr int64_t kMaxWindow = 1 << 16;  // kernel sizes, strides, dilations, pads
// Shape's stand-in for the batch size in the constant it yields (torch's x.view(x.size(0), -1) computes a Reshape
// target from it); Reshape reads it back as "keep the batch axis", every other use of it is refused.
constexpr int64_t kBatchSize = -(int64_t(1) << 40);
constexpr int64_t kMaxPoolWindow = 1 << 16;  // values in one pooling window
constexpr int64_t kMaxElements = int64_t(1) << 31;  // per sample of an input, and of a reshape or pad result

const std::set<std::string>& supported_ops() {
  static const std::set<std::string> ops{
      "Add",      "AveragePool", "BatchNormalization", "Concat",  "Constant", "Conv",    "Div",
      "Dropout",  "Elu",         "Flatten",            "Gather",  "Gemm",     "GlobalAveragePool",
      "Identity", "LeakyRelu",   "LogSoftmax",         "MatMul",  "MaxPool",  "Mul",     "Pad",
      "Relu",     "Reshape",     "Selu",               "Sigmoid", "Softmax",  "Softplus", "Softsign",
      "Shape",    "Sub",         "Tanh",               "Transpose", "Unsqueeze"};
  return ops;
}

Order identity(int rank) {
  Order o(static_cast<size_t>(rank));
  for (int i = 0; i < rank; ++i) o[size_t(i)] = i;
  return o;
}

std::string ints_str(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

// Layer names follow the node names, restricted to what Keras accepts in a name ("/fc1/Gemm" -> "fc1_Gemm").
std::string sanitize(const std::string& s) {
  std::string r;
  for (char c : s) r += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.') ? c : '_';
  size_t b = r.find_first_not_of('_');
  r = b == std::string::npos ? "" : r.substr(b);
  return r;
}

const char* elem_type_name(int t) {
  switch (t) {
    case onnx::TensorProto::FLOAT: return "float32";
    case onnx::TensorProto::DOUBLE: return "float64";
    case onnx::TensorProto::INT64: return "int64";
    case onnx::TensorProto::INT32: return "int32";
    case onnx::TensorProto::UINT8: return "uint8";
    case onnx::TensorProto::INT8: return "int8";
    case onnx::TensorProto::BOOL: return "bool";
    case onnx::TensorProto::FLOAT16: return "float16";
    case onnx::TensorProto::BFLOAT16: return "bfloat16";
    case onnx::TensorProto::STRING: return "string";
    default: return "other";
  }
}

// An initializer or Constant value as a nabla tensor (float32 for floating data, int64 for integers).
Tensor tensor_from_proto(const onnx::TensorProto& t, const std::string& where) {
  if (t.data_location() == onnx::TensorProto::EXTERNAL || t.external_data_size() > 0)
    throw IOError(where + ": data stored outside the file (external_data); nabla reads self-contained .onnx files");
  if (t.dims_size() > kMaxRank) throw IOError(where + ": rank " + std::to_string(t.dims_size()) + " is over " + std::to_string(kMaxRank));
  Shape shape;
  int64_t numel = 1;
  for (int64_t d : t.dims()) {
    if (d < 0) throw IOError(where + ": negative dimension " + std::to_string(d) + " in dims " + ints_str({t.dims().begin(), t.dims().end()}));
    if (d > 0 && numel > (int64_t(1) << 40) / d)
      throw IOError(where + ": dims " + ints_str({t.dims().begin(), t.dims().end()}) + " hold too many elements");
    numel *= d;
    shape.push_back(d);
  }
  const std::string& raw = t.raw_data();
  auto size_error = [&](const std::string& field, size_t have, size_t esize) {
    return IOError(where + ": dims " + ints_str({t.dims().begin(), t.dims().end()}) + " need " +
                   std::to_string(numel) + " values (" + std::to_string(numel * int64_t(esize)) + " bytes) but " +
                   field + " holds " + std::to_string(have) + (field == "raw_data" ? " bytes" : " values"));
  };
  auto load = [&](auto tag, DType dtype, const auto& field, const char* field_name) {
    using T = decltype(tag);
    const size_t esize = sizeof(T);
    if (t.has_raw_data() && raw.size() != size_t(numel) * esize) throw size_error("raw_data", raw.size(), esize);
    if (!t.has_raw_data() && field.size() != numel) throw size_error(field_name, size_t(field.size()), esize);
    Tensor out = Tensor::empty(shape, dtype);  // only now: the data is there to fill it
    if (t.has_raw_data()) {
      if (numel) std::memcpy(out.raw_data(), raw.data(), raw.size());  // ONNX raw data is little endian, as x86
    } else {
      T* p = static_cast<T*>(out.raw_data());
      for (int64_t i = 0; i < numel; ++i) p[i] = T(field.Get(int(i)));
    }
    return out;
  };
  switch (t.data_type()) {
    case onnx::TensorProto::FLOAT: return load(float{}, f32, t.float_data(), "float_data");
    case onnx::TensorProto::INT64: return load(int64_t{}, i64, t.int64_data(), "int64_data");
    case onnx::TensorProto::INT32: {
      Tensor x = load(int32_t{}, i32, t.int32_data(), "int32_data");
      Tensor y = Tensor::empty(shape, i64);
      for (int64_t i = 0; i < numel; ++i) y.data<int64_t>()[i] = x.data<int32_t>()[i];
      return y;
    }
    case onnx::TensorProto::DOUBLE: {
      Tensor x = load(double{}, f64, t.double_data(), "double_data");
      Tensor y = Tensor::empty(shape, f32);
      for (int64_t i = 0; i < numel; ++i) y.data<float>()[i] = float(x.data<double>()[i]);
      return y;
    }
    default:
      throw IOError(where + ": element type " + elem_type_name(t.data_type()) + " (" + std::to_string(t.data_type()) +
                    ") is not supported; nabla imports float32, float64, int32 and int64 tensors");
  }
}

std::vector<int64_t> to_ints(const Tensor& t, const std::string& where) {
  if (t.dtype() != i64) throw ValueError(where + ": expected an integer tensor, got " + dtype_name(t.dtype()));
  Tensor c = t.contiguous();
  return std::vector<int64_t>(c.data<int64_t>(), c.data<int64_t>() + c.numel());
}

// One ONNX value during the import: a symbolic tensor of the functional graph (with the order of its axes) or a
// constant (in ONNX order).
struct Val {
  KerasTensor t;
  Order order;
  bool is_const = false;
  Tensor c;
  int rank() const { return is_const ? c.dim() : int(order.size()); }
  // The size of ONNX axis a (-1 for the batch).
  int64_t dim(int a) const {
    if (is_const) return c.size(a);
    for (size_t k = 0; k < order.size(); ++k)
      if (order[k] == a) return t.shape()[int(k)];
    return -1;
  }
  int nabla_axis(int a) const {
    for (size_t k = 0; k < order.size(); ++k)
      if (order[k] == a) return int(k);
    return -1;
  }
};

class Importer {
 public:
  Importer(const onnx::ModelProto& m, std::string where) : m_(m), g_(m.graph()), where_(std::move(where)) {}

  std::shared_ptr<Model> run() {
    read_opset();
    check_ops();
    read_initializers();
    read_inputs();
    std::vector<int> order = topological_order();
    for (int n : order) {
      if (folded_.count(n)) continue;
      const onnx::NodeProto& node = g_.node(n);
      try {
        import_node(n, node);
      } catch (const Error& e) {
        throw ValueError(where_ + ": node '" + node.name() + "' (" + node.op_type() + "): " + e.what());
      }
    }
    std::vector<KerasTensor> outs;
    for (const auto& o : g_.output()) {
      auto it = vals_.find(o.name());
      if (it == vals_.end()) throw IOError(where_ + ": graph output '" + o.name() + "' is produced by no node");
      if (it->second.is_const)
        throw ValueError(where_ + ": graph output '" + o.name() +
                         "' is a constant; nabla imports outputs computed from the inputs");
      outs.push_back(materialize(o.name(), identity(it->second.rank()), "output_" + sanitize(o.name())));
    }
    if (outs.empty()) throw IOError(where_ + ": the graph has no outputs");
    if (inputs_.empty()) throw IOError(where_ + ": the graph has no inputs (besides initializers)");
    std::string name = sanitize(g_.name());
    auto model = std::make_shared<Functional>(inputs_, outs, name.empty() ? "onnx_model" : name);
    return model;
  }

 private:
  // ---- reading and checking the graph ----
  void read_opset() {
    for (const auto& o : m_.opset_import())
      if (o.domain().empty() || o.domain() == "ai.onnx") opset_ = o.version();
    if (opset_ <= 0) throw IOError(where_ + ": the model imports no version of the default ONNX opset (opset_import)");
  }

  void check_ops() {
    if (!m_.has_graph()) throw IOError(where_ + ": no graph (not an ONNX model, or a truncated one)");
    std::string bad;
    int count = 0;
    for (int i = 0; i < g_.node_size(); ++i) {
      const auto& n = g_.node(i);
      const bool std_domain = n.domain().empty() || n.domain() == "ai.onnx";
      if (std_domain && supported_ops().count(n.op_type())) continue;
      bad += std::string(count++ ? ", " : "") + "'" + n.name() + "' (" + (std_domain ? "" : n.domain() + ".") +
             n.op_type() + ")";
    }
    if (count) {
      std::string ops;
      for (const auto& o : supported_ops()) ops += (ops.empty() ? "" : ", ") + o;
      throw ValueError(where_ + ": " + std::to_string(count) + " node" + (count > 1 ? "s use ops" : " uses an op") +
                       " nabla does not import: " + bad + ". Supported ops: " + ops);
    }
  }

  void read_initializers() {
    for (int i = 0; i < g_.initializer_size(); ++i) {
      const auto& t = g_.initializer(i);
      const std::string w = where_ + ": initializer '" + t.name() + "'";
      if (t.name().empty()) throw IOError(where_ + ": initializer " + std::to_string(i) + " has no name");
      if (vals_.count(t.name())) throw IOError(w + " is defined twice");
      Val v;
      v.is_const = true;
      v.c = tensor_from_proto(t, w);
      vals_[t.name()] = v;
    }
  }

  void read_inputs() {
    for (const auto& in : g_.input()) {
      if (vals_.count(in.name())) {
        if (vals_[in.name()].is_const) continue;  // IR < 4 lists initializers among the inputs
        throw IOError(where_ + ": graph input '" + in.name() + "' is listed twice");
      }
      const std::string w = where_ + ": graph input '" + in.name() + "'";
      if (in.name().empty()) throw IOError(where_ + ": a graph input has no name");
      if (!in.type().has_tensor_type()) throw ValueError(w + " is not a tensor");
      const auto& tt = in.type().tensor_type();
      const int et = tt.elem_type();
      if (et != onnx::TensorProto::FLOAT && et != onnx::TensorProto::INT64 && et != onnx::TensorProto::INT32)
        throw ValueError(w + " has element type " + elem_type_name(et) + "; nabla imports float32 and integer inputs");
      if (!tt.has_shape()) throw ValueError(w + " has no shape; nabla needs every axis after the batch axis");
      const auto& sh = tt.shape();
      if (sh.dim_size() < 1 || sh.dim_size() > kMaxRank)
        throw ValueError(w + " has rank " + std::to_string(sh.dim_size()) + "; nabla imports inputs of rank 1 to " +
                         std::to_string(kMaxRank) + " with the batch axis first");
      std::vector<int64_t> dims;
      int64_t per_sample = 1;
      for (int a = 1; a < sh.dim_size(); ++a) {
        const auto& d = sh.dim(a);
        if (!d.has_dim_value() || d.dim_value() <= 0 || d.dim_value() > (int64_t(1) << 31))
          throw ValueError(w + ": axis " + std::to_string(a) + " is " +
                           (d.has_dim_param() ? "symbolic ('" + d.dim_param() + "')"
                                              : d.has_dim_value() ? std::to_string(d.dim_value()) : "unknown") +
                           "; nabla imports a static size for every axis after the batch axis");
        dims.push_back(d.dim_value());
        per_sample = d.dim_value() > kMaxElements / per_sample ? kMaxElements + 1 : per_sample * d.dim_value();
      }
      if (per_sample > kMaxElements)
        throw ValueError(w + " holds over " + std::to_string(kMaxElements) + " values per sample");
      KerasTensor x = Input(dims, unique(sanitize(in.name()).empty() ? "input" : sanitize(in.name())));
      inputs_.push_back(x);
      Val v;
      v.t = x;
      v.order = identity(sh.dim_size());
      vals_[in.name()] = v;
    }
  }

  // Kahn's algorithm over the nodes; also checks that every input is defined and every output defined once.
  std::vector<int> topological_order() {
    const int n = g_.node_size();
    std::map<std::string, int> producer;
    for (int i = 0; i < n; ++i)
      for (const auto& o : g_.node(i).output()) {
        if (o.empty()) continue;
        if (vals_.count(o))
          throw IOError(where_ + ": node '" + g_.node(i).name() + "' (" + g_.node(i).op_type() + ") writes '" + o +
                        "', which is already a graph input or initializer");
        if (!producer.emplace(o, i).second)
          throw IOError(where_ + ": value '" + o + "' is written by two nodes, '" + g_.node(producer[o]).name() +
                        "' and '" + g_.node(i).name() + "'");
      }
    std::vector<int> missing(static_cast<size_t>(n), 0);
    std::vector<std::vector<int>> users(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      std::set<int> deps;
      for (const auto& in : g_.node(i).input()) {
        if (in.empty()) continue;  // an omitted optional input
        ++consumers_[in];
        if (vals_.count(in)) continue;
        auto it = producer.find(in);
        if (it == producer.end())
          throw IOError(where_ + ": node '" + g_.node(i).name() + "' (" + g_.node(i).op_type() + ") reads '" + in +
                        "', which is no graph input, initializer or node output (a dangling input)");
        deps.insert(it->second);
      }
      for (int d : deps) users[size_t(d)].push_back(i);
      missing[size_t(i)] = int(deps.size());
    }
    for (const auto& o : g_.output()) ++consumers_[o.name()];
    std::vector<int> ready, out;
    for (int i = n - 1; i >= 0; --i)
      if (missing[size_t(i)] == 0) ready.push_back(i);
    while (!ready.empty()) {
      int i = ready.back();
      ready.pop_back();
      out.push_back(i);
      for (int u : users[size_t(i)])
        if (--missing[size_t(u)] == 0) ready.push_back(u);
    }
    if (int(out.size()) != n) {
      std::string cyc;
      int shown = 0;
      for (int i = 0; i < n && shown < 8; ++i)
        if (missing[size_t(i)] > 0) cyc += std::string(shown++ ? ", " : "") + "'" + g_.node(i).name() + "' (" + g_.node(i).op_type() + ")";
      throw IOError(where_ + ": the graph has a cycle; these nodes wait on each other: " + cyc);
    }
    return out;
  }

  // ---- helpers for one node ----
  const onnx::AttributeProto* attr(const onnx::NodeProto& n, const std::string& name) const {
    for (const auto& a : n.attribute())
      if (a.name() == name) return &a;
    return nullptr;
  }
  int64_t attr_int(const onnx::NodeProto& n, const std::string& name, int64_t def) const {
    const auto* a = attr(n, name);
    if (!a) return def;
    if (a->type() != onnx::AttributeProto::INT && !(a->type() == onnx::AttributeProto::UNDEFINED && a->has_i()))
      throw ValueError("attribute '" + name + "' is not an integer");
    return a->i();
  }
  float attr_float(const onnx::NodeProto& n, const std::string& name, float def) const {
    const auto* a = attr(n, name);
    if (!a) return def;
    if (a->type() != onnx::AttributeProto::FLOAT && !(a->type() == onnx::AttributeProto::UNDEFINED && a->has_f()))
      throw ValueError("attribute '" + name + "' is not a float");
    return a->f();
  }
  std::string attr_string(const onnx::NodeProto& n, const std::string& name, const std::string& def) const {
    const auto* a = attr(n, name);
    if (!a) return def;
    if (a->type() != onnx::AttributeProto::STRING && !(a->type() == onnx::AttributeProto::UNDEFINED && a->has_s()))
      throw ValueError("attribute '" + name + "' is not a string");
    return a->s();
  }
  std::optional<std::vector<int64_t>> attr_ints(const onnx::NodeProto& n, const std::string& name) const {
    const auto* a = attr(n, name);
    if (!a) return std::nullopt;
    if (a->type() != onnx::AttributeProto::INTS && a->type() != onnx::AttributeProto::UNDEFINED)
      throw ValueError("attribute '" + name + "' is not a list of integers");
    return std::vector<int64_t>(a->ints().begin(), a->ints().end());
  }
  std::vector<int64_t> window_ints(const onnx::NodeProto& n, const std::string& name, size_t count, int64_t def,
                                   int64_t lo) const {
    auto v = attr_ints(n, name);
    if (!v) return std::vector<int64_t>(count, def);
    if (v->size() != count)
      throw ValueError("attribute '" + name + "' " + ints_str(*v) + " should have " + std::to_string(count) + " entries");
    for (int64_t x : *v)
      if (x < lo || x > kMaxWindow)
        throw ValueError("attribute '" + name + "' " + ints_str(*v) + " is out of range [" + std::to_string(lo) +
                         ", " + std::to_string(kMaxWindow) + "]");
    return *v;
  }

  Val& in(const onnx::NodeProto& n, int i) {
    if (i >= n.input_size() || n.input(i).empty())
      throw ValueError("input " + std::to_string(i) + " is missing");
    return value(n.input(i));
  }
  // Every name a node reads was checked by topological_order(); one still missing was written by a node that
  // produced only some of its outputs.
  Val& value(const std::string& name) {
    auto it = vals_.find(name);
    if (it == vals_.end()) throw ValueError("value '" + name + "' was not produced (an output nabla does not compute)");
    return it->second;
  }
  bool has_in(const onnx::NodeProto& n, int i) const { return i < n.input_size() && !n.input(i).empty(); }
  Val& var_in(const onnx::NodeProto& n, int i) {
    Val& v = in(n, i);
    if (v.is_const) throw ValueError("input " + std::to_string(i) + " ('" + n.input(i) + "') is a constant where nabla expects a value computed from the graph inputs");
    return v;
  }
  const Tensor& const_in(const onnx::NodeProto& n, int i, const std::string& what) {
    Val& v = in(n, i);
    if (!v.is_const)
      throw ValueError(what + " (input " + std::to_string(i) + ", '" + n.input(i) +
                       "') is computed in the graph; nabla imports it only as an initializer or Constant");
    return v.c;
  }
  int norm_axis(int64_t axis, int rank) const {
    if (axis < -rank || axis >= rank)
      throw ValueError("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
    return int(axis < 0 ? axis + rank : axis);
  }
  void set_out(const onnx::NodeProto& n, Val v) {
    if (n.output_size() < 1 || n.output(0).empty()) throw ValueError("the node has no output");
    vals_[n.output(0)] = std::move(v);
  }
  void set_out(const onnx::NodeProto& n, KerasTensor t, Order order) {
    Val v;
    v.t = std::move(t);
    v.order = std::move(order);
    set_out(n, std::move(v));
  }
  void only_first_output(const onnx::NodeProto& n) {
    for (int i = 1; i < n.output_size(); ++i)
      if (!n.output(i).empty() && consumers_.count(n.output(i)))
        throw ValueError("output " + std::to_string(i) + " ('" + n.output(i) + "') is used; nabla imports only the first output of this op");
  }

  std::string unique(const std::string& base) {
    std::string b = base.empty() ? "layer" : base, name = b;
    for (int k = 1; names_.count(name); ++k) name = b + "_" + std::to_string(k);
    names_.insert(name);
    return name;
  }
  // The node's layer name, reserved once per node (base_); layers a node adds are named after it.
  std::string node_layer_name(const onnx::NodeProto& n, int index) {
    std::string b = sanitize(n.name());
    return unique(b.empty() ? n.op_type() + "_" + std::to_string(index) : b);
  }
  KerasTensor apply(const nn::LayerPtr& layer, const std::string& name, const std::vector<KerasTensor>& xs) {
    layer->set_name(name);
    return apply_layer(layer, xs);
  }
  KerasTensor op(const std::string& type, const std::string& name, const std::vector<KerasTensor>& xs, OnnxOp::Fn fn,
                 OnnxOp::ShapeFn shape_fn) {
    return apply(std::make_shared<OnnxOp>(type, node_name_, std::move(fn), std::move(shape_fn)), name, xs);
  }
  // Shape inference for the op-level nodes; -1 is an unknown size (the batch, or one that depends on it).
  static int64_t product(const Shape& s, int from, int to) {
    int64_t n = 1;
    for (int i = from; i < to; ++i) {
      if (s[i] < 0) return -1;
      if (s[i] > 0 && n > kMaxElements / s[i]) throw ShapeError(detail::concat("shape ", s.str(), " holds too many values"));
      n *= s[i];
    }
    return n;
  }
  static Shape broadcast(const Shape& a, const Shape& b) {
    NABLA_CHECK_SHAPE(a.size() == b.size(), "cannot broadcast shapes ", a.str(), " and ", b.str());
    Shape out;
    for (int i = 0; i < a.size(); ++i) {
      if (a[i] == b[i] || b[i] == 1) out.push_back(a[i]);
      else if (a[i] == 1) out.push_back(b[i]);
      else if (a[i] < 0 || b[i] < 0) out.push_back(-1);
      else throw ShapeError(detail::concat("cannot broadcast shapes ", a.str(), " and ", b.str()));
    }
    return out;
  }
  static void assign(const nn::LayerPtr& layer, const std::string& weight, const Tensor& value) {
    Tensor w = layer->weight(weight);
    NABLA_CHECK_SHAPE(w.shape() == value.shape(), "layer '", layer->name(), "': ", weight, " of shape ",
                      value.shape().str(), " from the file, the layer expects ", w.shape().str());
    NoGradGuard ng;
    w.copy_(value.to(w.dtype()));
  }

  // The value in another axis order: a Permute layer when the batch axis stays first, else an op-level permute.
  KerasTensor materialize(const std::string& value, const Order& target, const std::string& name) {
    Val& v = this->value(value);
    if (v.order == target) return v.t;
    auto key = std::make_pair(value, target);
    if (auto it = converted_.find(key); it != converted_.end()) return it->second;
    std::vector<int> pos(v.order.size());
    for (size_t k = 0; k < v.order.size(); ++k) pos[size_t(v.order[k])] = int(k);
    std::vector<int> axes;
    for (int a : target) axes.push_back(pos[size_t(a)]);
    KerasTensor r;
    if (axes[0] == 0) {
      std::vector<int64_t> dims(axes.begin() + 1, axes.end());
      r = apply(std::make_shared<nn::Permute>(dims), unique(name + "_permute"), {v.t});
    } else {
      r = op("Transpose", unique(name + "_transpose"), {v.t}, [axes](const std::vector<Tensor>& xs) { return permute(xs[0], axes); },
             [axes](const std::vector<Shape>& in) {
               Shape o;
               for (int a : axes) o.push_back(in[0][a]);
               return o;
             });
    }
    converted_[key] = r;
    return r;
  }
  // The order that puts ONNX axis 1 (channels) last: NCHW -> NHWC.
  static Order channels_last(int rank) {
    Order o{0};
    for (int a = 2; a < rank; ++a) o.push_back(a);
    if (rank > 1) o.push_back(1);
    return o;
  }
  // A constant in a value's axis order, broadcast to its rank (NumPy rules align trailing axes).
  static Tensor const_in_order(const Tensor& c, const Order& order) {
    const int rank = int(order.size());
    if (c.dim() > rank) throw ValueError("a constant of rank " + std::to_string(c.dim()) + " broadcast against a value of rank " + std::to_string(rank));
    Shape s;
    for (int i = 0; i < rank - c.dim(); ++i) s.push_back(1);
    for (int i = 0; i < c.dim(); ++i) s.push_back(c.size(i));
    Tensor full = reshape(c.contiguous(), s);
    std::vector<int> axes(order.begin(), order.end());
    return permute(full, axes).contiguous();
  }

  // Op-level nodes whose inputs are all constants are folded at import time.
  bool all_const(const onnx::NodeProto& n) {
    for (int i = 0; i < n.input_size(); ++i)
      if (!n.input(i).empty() && !value(n.input(i)).is_const) return false;
    return n.input_size() > 0;
  }
  void set_const(const onnx::NodeProto& n, Tensor c) {
    Val v;
    v.is_const = true;
    v.c = std::move(c);
    set_out(n, std::move(v));
  }

  // ---- the ops ----
  void import_node(int index, const onnx::NodeProto& n) {
    const std::string& t = n.op_type();
    base_ = node_layer_name(n, index);
    node_name_ = n.name().empty() ? base_ : n.name();
    if (n.output_size() < 1 || n.output(0).empty()) throw ValueError("the node has no output");
    only_first_output(n);  // Dropout's mask, say
    if (t == "Constant") return constant(n);
    if (t == "Identity" || t == "Dropout") return set_out(n, in(n, 0));
    static const std::map<std::string, std::string> activations{
        {"Relu", "relu"}, {"Sigmoid", "sigmoid"}, {"Tanh", "tanh"}, {"Softplus", "softplus"},
        {"Softsign", "softsign"}, {"Selu", "selu"}};
    if (auto it = activations.find(t); it != activations.end()) return activation(n, it->second);
    if (t == "Elu" || t == "LeakyRelu") return leaky(n);
    if (t == "Softmax" || t == "LogSoftmax") return softmax(n);
    if (t == "Gemm") return gemm(n);
    if (t == "MatMul") return matmul(n);
    if (t == "Add" || t == "Sub" || t == "Mul" || t == "Div") return binary(n);
    if (t == "Conv") return conv(n);
    if (t == "MaxPool" || t == "AveragePool") return pool(n);
    if (t == "GlobalAveragePool") return global_average_pool(n);
    if (t == "BatchNormalization") return batch_norm(n);
    if (t == "Flatten") return flatten(n);
    if (t == "Reshape") return reshape_node(n);
    if (t == "Transpose") return transpose_node(n);
    if (t == "Concat") return concat_node(n);
    if (t == "Gather") return gather(n);
    if (t == "Pad") return pad(n);
    if (t == "Shape") return shape_node(n);
    if (t == "Unsqueeze") return unsqueeze_node(n);
    throw ValueError("unsupported op");  // check_ops() stops these before
  }

  void constant(const onnx::NodeProto& n) {
    if (n.attribute_size() != 1) throw ValueError("a Constant needs exactly one value attribute");
    const auto& a = n.attribute(0);
    const std::string w = "Constant '" + n.name() + "'";
    if (a.name() == "value") return set_const(n, tensor_from_proto(a.t(), w));
    if (a.name() == "value_float") return set_const(n, Tensor::full(Shape{}, a.f()));
    if (a.name() == "value_int") return set_const(n, Tensor::full(Shape{}, double(a.i()), i64));
    if (a.name() == "value_floats")
      return set_const(n, Tensor::from_vector(std::vector<float>(a.floats().begin(), a.floats().end())));
    if (a.name() == "value_ints")
      return set_const(n, Tensor::from_vector(std::vector<int64_t>(a.ints().begin(), a.ints().end())));
    throw ValueError("Constant attribute '" + a.name() + "' is not supported");
  }

  void activation(const onnx::NodeProto& n, const std::string& name) {
    if (all_const(n)) return set_const(n, nabla::activation(in(n, 0).c.to(f32), name));
    Val& x = var_in(n, 0);
    set_out(n, apply(layers::Activation(name), base_, {x.t}), x.order);
  }

  void leaky(const onnx::NodeProto& n) {
    const bool elu = n.op_type() == "Elu";
    const double alpha = attr_float(n, "alpha", elu ? 1.0f : 0.01f);
    Val& x = var_in(n, 0);
    nn::LayerPtr l = elu ? nn::LayerPtr(layers::ELU(alpha)) : nn::LayerPtr(layers::LeakyReLU(alpha));
    set_out(n, apply(l, base_, {x.t}), x.order);
  }

  void softmax(const onnx::NodeProto& n) {
    const bool log = n.op_type() == "LogSoftmax";
    Val& x = var_in(n, 0);
    const int rank = x.rank();
    const int axis = norm_axis(attr_int(n, "axis", opset_ >= 13 ? -1 : 1), rank);
    const std::string fn_name = log ? "log_softmax" : "softmax";
    if (opset_ < 13 && axis != rank - 1) {
      // Before opset 13 the op flattened the axes from `axis` on and normalized over them together.
      KerasTensor xt = materialize(n.input(0), identity(rank), base_);
      return set_out(n, op(n.op_type(), base_, {xt}, [axis, fn_name](const std::vector<Tensor>& xs) {
                       Shape s = xs[0].shape(), flat;
                       for (int i = 0; i < axis; ++i) flat.push_back(s[i]);
                       flat.push_back(-1);
                       return reshape(nabla::activation(reshape(xs[0], flat), fn_name), s);
                     }, [](const std::vector<Shape>& in) { return in[0]; }), identity(rank));
    }
    if (x.nabla_axis(axis) == rank - 1)
      return set_out(n, apply(layers::Activation(fn_name), base_, {x.t}), x.order);
    Order target = x.order;
    target.erase(std::find(target.begin(), target.end(), axis));
    target.push_back(axis);
    KerasTensor xt = materialize(n.input(0), target, base_);
    set_out(n, apply(layers::Activation(fn_name), base_, {xt}), target);
  }

  // Dense from a constant [in, out] kernel (and bias); the input in ONNX order.
  void dense(const std::string& value, Tensor kernel, Tensor bias,
             const std::string& out_value) {
    Val& x = this->value(value);
    const int rank = x.rank();
    if (rank < 2) throw ValueError("the input has rank " + std::to_string(rank) + "; a Dense needs rank >= 2");
    if (x.dim(rank - 1) != kernel.size(0))
      throw ShapeError("input '" + value + "' has " + std::to_string(x.dim(rank - 1)) + " features but the weight has " +
                       std::to_string(kernel.size(0)) + " rows");
    KerasTensor xt = materialize(value, identity(rank), base_);
    auto l = layers::Dense(kernel.size(1), "", {.use_bias = bias.defined()});
    KerasTensor y = apply(l, base_, {xt});
    assign(l, "kernel", kernel.contiguous());
    if (bias.defined()) assign(l, "bias", bias.contiguous());
    Val v;
    v.t = y;
    v.order = identity(rank);
    vals_[out_value] = v;
  }

  // A constant bias of `units` values from a C / Add operand of shape [], [units] or [1, units].
  static std::optional<Tensor> as_bias(const Tensor& c, int64_t units) {
    if (c.numel() == units && (c.dim() == 1 || (c.dim() == 2 && c.size(0) == 1))) return reshape(c.to(f32).contiguous(), Shape{units});
    if (c.numel() == 1 && c.dim() <= 1) return Tensor::full(Shape{units}, c.item());
    return std::nullopt;
  }

  void gemm(const onnx::NodeProto& n) {
    const float alpha = attr_float(n, "alpha", 1.0f), beta = attr_float(n, "beta", 1.0f);
    const bool ta = attr_int(n, "transA", 0) != 0, tb = attr_int(n, "transB", 0) != 0;
    if (ta) throw ValueError("transA=1 is not supported (the batch must be the first axis of A)");
    Val& a = var_in(n, 0);
    if (a.rank() != 2) throw ShapeError("A has rank " + std::to_string(a.rank()) + ", Gemm needs rank 2");
    const Tensor& b = const_in(n, 1, "B");
    if (b.dim() != 2) throw ShapeError("B has shape " + b.shape().str() + ", Gemm needs a matrix");
    Tensor kernel = (tb ? transpose(b.to(f32), 0, 1) : b.to(f32)).contiguous();
    if (alpha != 1.0f) kernel = (kernel * double(alpha)).contiguous();
    Tensor bias;
    if (has_in(n, 2)) {
      auto bb = as_bias(const_in(n, 2, "C"), kernel.size(1));
      if (!bb) throw ShapeError("C of shape " + in(n, 2).c.shape().str() + " is not a bias of " + std::to_string(kernel.size(1)) + " values");
      bias = beta != 1.0f ? (*bb * double(beta)).contiguous() : *bb;
    }
    dense(n.input(0), kernel, bias, n.output(0));
  }

  void matmul(const onnx::NodeProto& n) {
    Val& a = var_in(n, 0);
    if (in(n, 1).is_const && in(n, 1).c.dim() == 2) {
      Tensor kernel = in(n, 1).c.to(f32).contiguous();
      // MatMul then Add of a constant vector (tf2onnx's Dense, torch's Linear on rank > 2): one Dense with a bias.
      for (int j = 0; j < g_.node_size(); ++j) {
        const auto& u = g_.node(j);
        if (u.op_type() != "Add" || consumers_[n.output(0)] != 1 || u.input_size() != 2 || u.output_size() != 1) continue;
        const int other = u.input(0) == n.output(0) ? 1 : u.input(1) == n.output(0) ? 0 : -1;
        if (other < 0 || !vals_.count(u.input(other)) || !vals_[u.input(other)].is_const) continue;
        auto bias = as_bias(vals_[u.input(other)].c, kernel.size(1));
        if (!bias || u.output(0).empty()) continue;
        folded_.insert(j);
        return dense(n.input(0), kernel, *bias, u.output(0));
      }
      return dense(n.input(0), kernel, Tensor(), n.output(0));
    }
    Val& b = var_in(n, 1);
    if (a.rank() != 2 || b.rank() != 2)
      throw ShapeError("MatMul of two computed values is supported for matrices only, got ranks " +
                       std::to_string(a.rank()) + " and " + std::to_string(b.rank()));
    KerasTensor at = materialize(n.input(0), identity(2), base_);
    KerasTensor bt = materialize(n.input(1), identity(2), base_);
    set_out(n, op("MatMul", base_, {at, bt}, [](const std::vector<Tensor>& xs) { return nabla::matmul(xs[0], xs[1]); },
               [](const std::vector<Shape>& in) {
                 NABLA_CHECK_SHAPE(in[0][1] < 0 || in[1][0] < 0 || in[0][1] == in[1][0], "MatMul of shapes ",
                                   in[0].str(), " and ", in[1].str());
                 return Shape{in[0][0], in[1][1]};
               }),
            identity(2));
  }

  static Tensor binary_fn(const std::string& t, const Tensor& a, const Tensor& b) {
    if (t == "Add") return add(a, b);
    if (t == "Sub") return sub(a, b);
    if (t == "Mul") return mul(a, b);
    return div(a, b);
  }

  void binary(const onnx::NodeProto& n) {
    const std::string t = n.op_type();
    if (all_const(n)) {
      Tensor a = in(n, 0).c, b = in(n, 1).c;
      // Integer arithmetic on constants (shape computations) is not folded: it could overflow.
      if (a.dtype() != f32 || b.dtype() != f32) throw ValueError("arithmetic on integer constants is not supported");
      return set_const(n, binary_fn(t, a, b));
    }
    Val& a = in(n, 0);
    Val& b = in(n, 1);
    if (!a.is_const && !b.is_const) {
      const int rank = std::max(a.rank(), b.rank());
      if (t == "Add" && a.rank() == b.rank()) {
        KerasTensor bt = materialize(n.input(1), a.order, base_);
        return set_out(n, apply(layers::Add(), base_, {a.t, bt}), a.order);
      }
      if (a.rank() != b.rank()) throw ShapeError("operands of ranks " + std::to_string(a.rank()) + " and " + std::to_string(b.rank()) + " (broadcasting across ranks is not supported between computed values)");
      KerasTensor bt = materialize(n.input(1), a.order, base_);
      (void)rank;
      return set_out(n, op(t, base_, {a.t, bt}, [t](const std::vector<Tensor>& xs) { return binary_fn(t, xs[0], xs[1]); },
                         [](const std::vector<Shape>& in) { return broadcast(in[0], in[1]); }), a.order);
    }
    const bool const_first = a.is_const;
    Val& x = const_first ? b : a;
    Tensor c = const_in_order((const_first ? a : b).c.to(f32), x.order);
    set_out(n, op(t, base_, {x.t}, [t, c, const_first](const std::vector<Tensor>& xs) {
              return const_first ? binary_fn(t, c, xs[0]) : binary_fn(t, xs[0], c);
            }, [cs = c.shape()](const std::vector<Shape>& in) { return broadcast(in[0], cs); }), x.order);
  }

  // Keras's "same" reproduces the pads iff TensorFlow's split of the padding (extra at the end) gives them.
  static bool keras_same(int64_t size, int64_t k, int64_t s, int64_t d, int64_t before, int64_t after) {
    if (size <= 0) return false;
    Window1D w = window_1d(size, k, s, d, Padding::same);
    return w.pad_before == before && w.pad_after == after;
  }

  // Pads [top, left, bottom, right] resolved from auto_pad / pads for a 2-d window over NHWC sizes h, w.
  std::vector<int64_t> window_pads(const onnx::NodeProto& n, int64_t h, int64_t w, const std::vector<int64_t>& k,
                                   const std::vector<int64_t>& s, const std::vector<int64_t>& d) {
    const std::string auto_pad = attr_string(n, "auto_pad", "NOTSET");
    if (auto_pad == "VALID") return {0, 0, 0, 0};
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      Window1D wh = window_1d(h, k[0], s[0], d[0], Padding::same), ww = window_1d(w, k[1], s[1], d[1], Padding::same);
      if (auto_pad == "SAME_UPPER") return {wh.pad_before, ww.pad_before, wh.pad_after, ww.pad_after};
      return {wh.pad_after, ww.pad_after, wh.pad_before, ww.pad_before};
    }
    if (auto_pad != "NOTSET") throw ValueError("auto_pad '" + auto_pad + "' is not an ONNX padding mode");
    return window_ints(n, "pads", 4, 0, 0);
  }

  // An op-level constant pad of the nabla axes (before/after per nabla axis) with `value`.
  KerasTensor pad_op(const std::string& name, const KerasTensor& x, std::vector<std::pair<int64_t, int64_t>> pads, double value) {
    return op("Pad", name, {x}, [pads, value](const std::vector<Tensor>& xs) {
      Tensor y = xs[0];
      int64_t total = 1;
      for (size_t a = 0; a < pads.size() && a < size_t(y.dim()); ++a) {
        const int64_t d = y.size(int(a)) + pads[a].first + pads[a].second;
        total = d > 0 && total > kMaxElements / d ? kMaxElements + 1 : total * d;
      }
      if (total > kMaxElements) throw ValueError(detail::concat("Pad: the padded tensor would hold over ", kMaxElements, " values"));
      for (size_t a = 0; a < pads.size(); ++a) {
        if (pads[a].first == 0 && pads[a].second == 0) continue;
        std::vector<Tensor> parts;
        Shape s = y.shape();
        if (pads[a].first) { s[int(a)] = pads[a].first; parts.push_back(Tensor::full(s, value, y.dtype())); }
        parts.push_back(y);
        if (pads[a].second) { s[int(a)] = pads[a].second; parts.push_back(Tensor::full(s, value, y.dtype())); }
        y = concat(parts, int(a));
      }
      return y;
    }, [pads](const std::vector<Shape>& in) {
      Shape out = in[0];
      NABLA_CHECK_SHAPE(size_t(out.size()) == pads.size(), "Pad: rank ", out.size(), " for ", pads.size(), " axes of pads");
      for (int a = 0; a < out.size(); ++a)
        if (out[a] >= 0) out[a] += pads[size_t(a)].first + pads[size_t(a)].second;
      return out;
    });
  }

  void conv(const onnx::NodeProto& n) {
    Val& x = var_in(n, 0);
    const Tensor& w = const_in(n, 1, "the weight W");
    if (x.rank() != 4 || w.dim() != 4)
      throw ShapeError("only 2-d convolutions are supported (input rank " + std::to_string(x.rank()) + ", weight shape " + w.shape().str() + ")");
    if (attr_int(n, "group", 1) != 1) throw ValueError("group=" + std::to_string(attr_int(n, "group", 1)) + " (grouped or depthwise convolution) is not supported");
    const int64_t filters = w.size(0), channels = w.size(1);
    if (x.dim(1) != channels)
      throw ShapeError("the input has " + std::to_string(x.dim(1)) + " channels but W of shape " + w.shape().str() + " expects " + std::to_string(channels));
    std::vector<int64_t> k{w.size(2), w.size(3)};
    if (auto ks = attr_ints(n, "kernel_shape"); ks && *ks != k)
      throw ShapeError("kernel_shape " + ints_str(*ks) + " does not match W of shape " + w.shape().str());
    auto s = window_ints(n, "strides", 2, 1, 1), d = window_ints(n, "dilations", 2, 1, 1);
    const int64_t h = x.dim(2), wd = x.dim(3);
    auto p = window_pads(n, h, wd, k, s, d);
    const std::string name = base_;
    KerasTensor xt = materialize(n.input(0), channels_last(4), name);
    std::string padding = "valid";
    if (p != std::vector<int64_t>{0, 0, 0, 0}) {
      if (keras_same(h, k[0], s[0], d[0], p[0], p[2]) && keras_same(wd, k[1], s[1], d[1], p[1], p[3]))
        padding = "same";
      else  // torch pads symmetrically where Keras puts the odd pixel at the end: pad explicitly
        xt = pad_op(unique(name + "_pad"), xt, {{0, 0}, {p[0], p[2]}, {p[1], p[3]}, {0, 0}}, 0.0);
    }
    Tensor bias;
    if (has_in(n, 2)) {
      bias = const_in(n, 2, "the bias B");
      if (bias.numel() != filters || bias.dim() != 1) throw ShapeError("B of shape " + bias.shape().str() + " is not a bias of " + std::to_string(filters) + " values");
    }
    auto l = layers::Conv2D(filters, nn::Size2(k[0], k[1]), "",
                            {.strides = nn::Size2(s[0], s[1]), .padding = padding, .dilation_rate = nn::Size2(d[0], d[1]),
                             .use_bias = bias.defined()});
    KerasTensor y = apply(l, name, {xt});
    assign(l, "kernel", permute(w.to(f32), {2, 3, 1, 0}).contiguous());  // OIHW -> HWIO
    if (bias.defined()) assign(l, "bias", bias.to(f32));
    set_out(n, y, channels_last(4));
  }

  void pool(const onnx::NodeProto& n) {
    const bool max = n.op_type() == "MaxPool";
    Val& x = var_in(n, 0);
    if (x.rank() != 4) throw ShapeError("only 2-d pooling is supported (input rank " + std::to_string(x.rank()) + ")");
    auto ks = attr_ints(n, "kernel_shape");
    if (!ks) throw ValueError("kernel_shape is required");
    auto k = window_ints(n, "kernel_shape", 2, 1, 1);
    auto s = window_ints(n, "strides", 2, 1, 1);
    auto d = window_ints(n, "dilations", 2, 1, 1);
    if (d != std::vector<int64_t>{1, 1}) throw ValueError("dilated pooling is not supported");
    // Windows are small in real models (global pooling has its own op); a huge one would only burn time.
    if (k[0] * k[1] > kMaxPoolWindow)
      throw ValueError("kernel_shape " + ints_str(k) + " is over " + std::to_string(kMaxPoolWindow) + " values");
    if (max && attr_int(n, "storage_order", 0) != 0) throw ValueError("storage_order=1 is not supported");
    const int64_t h = x.dim(2), wd = x.dim(3);
    auto p = window_pads(n, h, wd, k, s, d);
    if (attr_int(n, "ceil_mode", 0) != 0) {
      // ceil_mode only matters where the last window would start inside the padded input but not fit.
      for (int a = 0; a < 2; ++a) {
        const int64_t span = (a ? wd : h) + p[size_t(a)] + p[size_t(a + 2)] - k[size_t(a)];
        if (span < 0 || span % s[size_t(a)] != 0) throw ValueError("ceil_mode=1 with a partial last window is not supported");
      }
    }
    const bool count_pad = !max && attr_int(n, "count_include_pad", 0) != 0;
    const std::string name = base_;
    KerasTensor xt = materialize(n.input(0), channels_last(4), name);
    std::string padding = "valid";
    if (p != std::vector<int64_t>{0, 0, 0, 0}) {
      if (!count_pad && keras_same(h, k[0], s[0], 1, p[0], p[2]) && keras_same(wd, k[1], s[1], 1, p[1], p[3])) {
        padding = "same";
      } else if (max || count_pad) {
        // Pads that never win a max (-inf) or that count as zeros in the average, then a "valid" window.
        const double v = max ? -std::numeric_limits<double>::infinity() : 0.0;
        xt = pad_op(unique(name + "_pad"), xt, {{0, 0}, {p[0], p[2]}, {p[1], p[3]}, {0, 0}}, v);
      } else {
        throw ValueError("AveragePool pads " + ints_str(p) + " that exclude the padding from the average and are not Keras's 'same' are not supported");
      }
    }
    nn::Pooling2DOptions o{.pool_size = nn::Size2(k[0], k[1]), .strides = nn::Size2(s[0], s[1]), .padding = padding};
    nn::LayerPtr l = max ? nn::LayerPtr(std::make_shared<nn::MaxPooling2D>(o)) : nn::LayerPtr(std::make_shared<nn::AveragePooling2D>(o));
    set_out(n, apply(l, name, {xt}), channels_last(4));
  }

  void global_average_pool(const onnx::NodeProto& n) {
    Val& x = var_in(n, 0);
    if (x.rank() != 4) throw ShapeError("only 2-d global pooling is supported (input rank " + std::to_string(x.rank()) + ")");
    const std::string name = base_;
    KerasTensor xt = materialize(n.input(0), channels_last(4), name);
    KerasTensor y = apply(layers::GlobalAveragePooling2D(), name, {xt});
    // ONNX keeps the spatial axes as size 1: [N, C, 1, 1], held channels last as [N, 1, 1, C].
    y = apply(layers::Reshape({1, 1, x.dim(1)}), unique(name + "_keepdims"), {y});
    set_out(n, y, channels_last(4));
  }

  void batch_norm(const onnx::NodeProto& n) {
    if (attr_int(n, "training_mode", 0) != 0) throw ValueError("training_mode=1 is not supported (export the model in eval mode)");
    Val& x = var_in(n, 0);
    if (x.rank() < 2) throw ShapeError("the input needs a channel axis");
    const int64_t c = x.dim(1);
    const Tensor* parts[4];
    const char* what[4] = {"scale", "B", "input_mean", "input_var"};
    for (int i = 0; i < 4; ++i) {
      parts[i] = &const_in(n, i + 1, what[i]);
      if (parts[i]->dim() != 1 || parts[i]->size(0) != c)
        throw ShapeError(std::string(what[i]) + " has shape " + parts[i]->shape().str() + ", expected [" + std::to_string(c) + "] (the input's channels)");
    }
    const std::string name = base_;
    Order target = x.order.back() == 1 ? x.order : channels_last(x.rank());
    KerasTensor xt = materialize(n.input(0), target, name);
    auto l = layers::BatchNormalization({.momentum = attr_float(n, "momentum", 0.9f), .epsilon = attr_float(n, "epsilon", 1e-5f)});
    KerasTensor y = apply(l, name, {xt});
    assign(l, "gamma", *parts[0]);
    assign(l, "beta", *parts[1]);
    assign(l, "moving_mean", *parts[2]);
    assign(l, "moving_variance", *parts[3]);
    set_out(n, y, target);
  }

  // Whether the axes of x with size > 1 come in ONNX's order (then flattening needs no permute).
  static bool order_irrelevant(const Val& x) {
    int last = -1;
    for (size_t k = 0; k < x.order.size(); ++k) {
      if (x.t.shape()[int(k)] == 1) continue;
      if (x.order[k] < last) return false;
      last = x.order[k];
    }
    return true;
  }

  void flatten(const onnx::NodeProto& n) {
    Val& x = var_in(n, 0);
    const int rank = x.rank();
    const int axis = norm_axis(attr_int(n, "axis", 1), rank + 1);
    const std::string name = base_;
    if (axis == 1 && x.order[0] == 0) {
      KerasTensor xt = order_irrelevant(x) ? x.t : materialize(n.input(0), identity(rank), name);
      return set_out(n, apply(layers::Flatten(), name, {xt}), identity(2));
    }
    KerasTensor xt = materialize(n.input(0), identity(rank), name);
    set_out(n, op("Flatten", name, {xt}, [axis](const std::vector<Tensor>& xs) {
              int64_t outer = 1;
              for (int i = 0; i < axis; ++i) outer *= xs[0].size(i);
              return reshape(xs[0], Shape{outer, -1});
            }, [axis](const std::vector<Shape>& in) { return Shape{product(in[0], 0, axis), product(in[0], axis, in[0].size())}; }),
            identity(2));
  }

  void reshape_node(const onnx::NodeProto& n) {
    std::vector<int64_t> shape = to_ints(const_in(n, 1, "the shape"), "the shape");
    if (shape.size() > size_t(kMaxRank)) throw ShapeError("target shape " + ints_str(shape) + " has too many axes");
    if (shape.empty() && !all_const(n)) throw ShapeError("reshaping to a scalar would leave no batch axis");
    const bool allowzero = attr_int(n, "allowzero", 0) != 0;
    // [batch size from Shape, ...] keeps the batch axis, as 0 (copy) does.
    if (!shape.empty() && shape[0] == kBatchSize && !allowzero && !in(n, 0).is_const && in(n, 0).order[0] == 0) shape[0] = 0;
    for (int64_t d : shape)
      if (d < -1 || d > kMaxElements) throw ShapeError("target shape " + ints_str(shape) + " has a size out of range (a batch size from Shape is supported at axis 0 only)");
    if (all_const(n)) {
      Tensor c = in(n, 0).c;
      for (size_t i = 0; i < shape.size(); ++i)
        if (shape[i] == 0 && !allowzero) {
          if (int(i) >= c.dim()) throw ShapeError("0 at axis " + std::to_string(i) + " copies no input axis");
          shape[i] = c.size(int(i));
        }
      return set_const(n, reshape(c.contiguous(), Shape(shape)));
    }
    Val& x = var_in(n, 0);
    const int rank = x.rank();
    int unknown = 0;
    for (size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] == 0 && !allowzero) {
        if (int(i) >= rank) throw ShapeError("0 at axis " + std::to_string(i) + " of " + ints_str(shape) + " copies no input axis");
        if (i > 0) shape[i] = x.dim(int(i));
      } else if (shape[i] == -1) {
        ++unknown;
      } else if (shape[i] < 0) {
        throw ShapeError("target shape " + ints_str(shape) + " has a negative size");
      }
    }
    if (unknown > 1) throw ShapeError("target shape " + ints_str(shape) + " has more than one -1");
    const std::string name = base_;
    Shape onnx_shape;
    for (int a = 0; a < rank; ++a) onnx_shape.push_back(x.dim(a));
    const int64_t per_sample = rank > 0 ? product(onnx_shape, 1, rank) : 1;
    // A reshape that keeps the batch axis is Keras's Reshape of the other axes.
    bool keeps_batch = !shape.empty() && (shape[0] == 0 && !allowzero);
    if (!keeps_batch && !shape.empty() && shape[0] == -1) {
      int64_t rest = 1;
      bool known = true;
      for (size_t i = 1; i < shape.size(); ++i) {
        if (shape[i] <= 0) known = false;
        else rest *= shape[i];
      }
      keeps_batch = known && rest == per_sample;
    }
    bool positive = true;
    for (size_t i = 1; i < shape.size(); ++i) positive = positive && (shape[i] > 0 || shape[i] == -1);
    if (keeps_batch && positive && shape.size() >= 2) {
      KerasTensor xt = materialize(n.input(0), identity(rank), name);
      return set_out(n, apply(layers::Reshape(std::vector<int64_t>(shape.begin() + 1, shape.end())), name, {xt}),
                     identity(int(shape.size())));
    }
    KerasTensor xt = materialize(n.input(0), identity(rank), name);
    set_out(n, op("Reshape", name, {xt}, [shape, allowzero](const std::vector<Tensor>& xs) {
              Shape s;
              for (size_t i = 0; i < shape.size(); ++i)
                s.push_back(shape[i] == 0 && !allowzero && int(i) < xs[0].dim() ? xs[0].size(int(i)) : shape[i]);
              return reshape(xs[0], s);
            }, [shape, allowzero](const std::vector<Shape>& in) {
              Shape s;
              int free = -1;
              int64_t known = 1;
              for (size_t i = 0; i < shape.size(); ++i) {
                int64_t d = shape[i] == 0 && !allowzero && int(i) < in[0].size() ? in[0][int(i)] : shape[i];
                if (shape[i] == -1) free = int(i);
                else if (d < 0) known = -1;
                else if (known >= 0) known = d > 0 && known > kMaxElements / d ? -1 : known * d;
                s.push_back(d);
              }
              const int64_t total = product(in[0], 0, in[0].size());
              if (free >= 0 && total >= 0 && known > 0) {
                NABLA_CHECK_SHAPE(total % known == 0, "cannot reshape ", in[0].str(), " to ", ints_str(shape));
                s[free] = total / known;
              }
              if (free < 0 && total >= 0 && known >= 0)
                NABLA_CHECK_SHAPE(total == known, "cannot reshape ", in[0].str(), " to ", ints_str(shape));
              return s;
            }), identity(int(shape.size())));
  }

  void transpose_node(const onnx::NodeProto& n) {
    Val& x = in(n, 0);
    const int rank = x.rank();
    std::vector<int64_t> perm;
    if (auto p = attr_ints(n, "perm")) perm = *p;
    else for (int i = rank - 1; i >= 0; --i) perm.push_back(i);
    std::vector<int> inv(size_t(rank), -1);
    if (int(perm.size()) != rank) throw ShapeError("perm " + ints_str(perm) + " does not fit an input of rank " + std::to_string(rank));
    for (int i = 0; i < rank; ++i) {
      if (perm[size_t(i)] < 0 || perm[size_t(i)] >= rank || inv[size_t(perm[size_t(i)])] >= 0)
        throw ShapeError("perm " + ints_str(perm) + " is not a permutation");
      inv[size_t(perm[size_t(i)])] = i;
    }
    if (x.is_const) {
      std::vector<int> axes(perm.begin(), perm.end());
      return set_const(n, permute(x.c, axes).contiguous());
    }
    // Only the bookkeeping changes: nabla axis k still holds input axis order[k], now called inv[order[k]].
    Val v = x;
    for (auto& a : v.order) a = inv[size_t(a)];
    set_out(n, v);
  }

  void concat_node(const onnx::NodeProto& n) {
    if (n.input_size() < 1) throw ValueError("Concat needs inputs");
    if (all_const(n)) {
      std::vector<Tensor> cs;
      for (int i = 0; i < n.input_size(); ++i) cs.push_back(in(n, i).c);
      return set_const(n, concat(cs, norm_axis(attr_int(n, "axis", 0), cs[0].dim())));
    }
    int first = -1;
    for (int i = 0; i < n.input_size() && first < 0; ++i)
      if (!in(n, i).is_const) first = i;
    const Order order = in(n, first).order;
    const int rank = int(order.size());
    const int axis = norm_axis(attr_int(n, "axis", 0), rank);
    const std::string name = base_;
    std::vector<KerasTensor> xs;
    std::vector<std::pair<size_t, Tensor>> consts;  // constants, in order, at their positions
    for (int i = 0; i < n.input_size(); ++i) {
      Val& v = in(n, i);
      if (v.rank() != rank) throw ShapeError("inputs of different ranks");
      if (v.is_const) consts.emplace_back(size_t(i), const_in_order(v.c.to(f32), order));
      else xs.push_back(materialize(n.input(i), order, name));
    }
    const int k = in(n, first).nabla_axis(axis);
    if (k == 0) throw ValueError("concatenating along the batch axis (" + std::to_string(axis) + ") is not supported");
    if (consts.empty() && k > 0 && xs.size() > 1)
      return set_out(n, apply(layers::Concatenate(k), name, xs), order);
    const int total = n.input_size();
    set_out(n, op("Concat", name, xs, [consts, k, total](const std::vector<Tensor>& ins) {
              std::vector<Tensor> parts;
              size_t ci = 0, vi = 0;
              for (int i = 0; i < total; ++i) {
                if (ci < consts.size() && consts[ci].first == size_t(i)) parts.push_back(consts[ci++].second);
                else parts.push_back(ins[vi++]);
              }
              return concat(parts, k);
            }, [consts, k, total](const std::vector<Shape>& ins) {
              Shape out;
              int64_t sum = 0;
              size_t ci = 0, vi = 0;
              for (int i = 0; i < total; ++i) {
                const bool is_c = ci < consts.size() && consts[ci].first == size_t(i);
                const Shape& p = is_c ? consts[ci++].second.shape() : ins[vi++];
                if (out.size() == 0) out = p;
                NABLA_CHECK_SHAPE(p.size() == out.size() && k < p.size(), "Concat of shapes of different ranks");
                for (int a = 0; a < p.size(); ++a)
                  if (a != k && p[a] >= 0 && out[a] >= 0 && p[a] != out[a])
                    throw ShapeError(detail::concat("Concat: shapes ", out.str(), " and ", p.str(), " differ off axis ", k));
                sum = sum < 0 || p[k] < 0 ? -1 : sum + p[k];
              }
              out[k] = sum;
              return out;
            }), order);
  }

  void gather(const onnx::NodeProto& n) {
    const std::string name = base_;
    Val& data = in(n, 0);
    Val& idx = in(n, 1);
    if (data.is_const && idx.is_const) {
      const int axis = norm_axis(attr_int(n, "axis", 0), data.rank());
      std::vector<int64_t> ids = to_ints(idx.c, "indices");
      if (idx.c.dim() > 1) throw ShapeError("constant indices of rank > 1 are not supported");
      for (int64_t& i : ids) {
        if (i < -data.c.size(axis) || i >= data.c.size(axis)) throw ValueError("index " + std::to_string(i) + " is out of range");
        if (i < 0) i += data.c.size(axis);
      }
      Tensor moved = transpose(data.c, 0, axis);
      Tensor r = idx.c.dim() == 0 ? select(data.c, axis, ids[0]) : transpose(take_rows(moved.contiguous(), ids), 0, axis);
      return set_const(n, r.contiguous());
    }
    if (data.is_const) {
      // A constant table looked up by computed ids: Keras's Embedding.
      if (norm_axis(attr_int(n, "axis", 0), data.rank()) != 0 || data.rank() != 2)
        throw ShapeError("a lookup in a constant table needs a [rows, dim] table and axis 0, got table " + data.c.shape().str());
      KerasTensor it = materialize(n.input(1), identity(idx.rank()), name);
      auto l = layers::Embedding(data.c.size(0), data.c.size(1));
      KerasTensor y = apply(l, name, {it});
      assign(l, "embeddings", data.c.to(f32));
      return set_out(n, y, identity(idx.rank() + 1));
    }
    if (!idx.is_const) throw ValueError("Gather with computed indices from a computed tensor is not supported");
    const int rank = data.rank();
    const int axis = norm_axis(attr_int(n, "axis", 0), rank);
    if (idx.c.dim() > 1) throw ShapeError("indices of rank > 1 are not supported");
    if (axis == data.order[0]) throw ValueError("Gather along the batch axis (" + std::to_string(axis) + ") is not supported");
    std::vector<int64_t> ids = to_ints(idx.c, "indices");
    const int64_t size = data.dim(axis);
    for (int64_t& i : ids) {
      if (size >= 0 && (i < -size || i >= size)) throw ValueError("index " + std::to_string(i) + " is out of range for axis " + std::to_string(axis) + " of size " + std::to_string(size));
      if (i < 0 && size >= 0) i += size;
      if (i < 0) throw ValueError("a negative index along the batch axis is not supported");
    }
    KerasTensor xt = materialize(n.input(0), identity(rank), name);
    const bool scalar = idx.c.dim() == 0;
    if (scalar && rank == 1) throw ShapeError("a scalar index into a rank-1 value would leave no batch axis");
    set_out(n, op("Gather", name, {xt}, [ids, axis, scalar](const std::vector<Tensor>& xs) {
              for (int64_t i : ids)
                if (i >= xs[0].size(axis)) throw ValueError(detail::concat("Gather: index ", i, " is out of range for axis ", axis, " of size ", xs[0].size(axis)));
              if (scalar) return select(xs[0], axis, ids[0]);
              return transpose(take_rows(transpose(xs[0], 0, axis).contiguous(), ids), 0, axis);
            }, [n_ids = int64_t(ids.size()), axis, scalar](const std::vector<Shape>& in) {
              Shape out;
              for (int a = 0; a < in[0].size(); ++a) {
                if (a != axis) out.push_back(in[0][a]);
                else if (!scalar) out.push_back(n_ids);
              }
              return out;
            }), identity(scalar ? rank - 1 : rank));
  }

  // The input's shape as a constant; the batch size is kBatchSize, every other axis must be known.
  void shape_node(const onnx::NodeProto& n) {
    Val& x = in(n, 0);
    const int rank = x.rank();
    std::vector<int64_t> dims;
    for (int a = 0; a < rank; ++a) {
      const int64_t d = x.is_const ? x.c.size(a) : x.dim(a);
      if (!x.is_const && a == x.order[0]) dims.push_back(kBatchSize);
      else if (d < 0) throw ShapeError("axis " + std::to_string(a) + " has an unknown size");
      else dims.push_back(d);
    }
    auto clamp = [rank](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + rank : v, 0, rank); };
    const int64_t start = clamp(attr_int(n, "start", 0)), end = clamp(attr_int(n, "end", rank));
    std::vector<int64_t> out;
    for (int64_t a = start; a < end; ++a) out.push_back(dims[size_t(a)]);
    set_const(n, Tensor::from_vector(out));
  }

  // Unsqueeze of a constant (shape computations); axes from the attribute (opset < 13) or input 1.
  void unsqueeze_node(const onnx::NodeProto& n) {
    const Tensor& c = const_in(n, 0, "the data");
    std::vector<int64_t> axes;
    if (opset_ >= 13) {
      axes = to_ints(const_in(n, 1, "axes"), "axes");
    } else {
      auto a = attr_ints(n, "axes");
      if (!a) throw ValueError("attribute 'axes' is required");
      axes = *a;
    }
    const int out_rank = c.dim() + int(axes.size());
    if (out_rank > kMaxRank) throw ShapeError("the result would have rank " + std::to_string(out_rank));
    std::vector<bool> unit(static_cast<size_t>(out_rank), false);
    for (int64_t a : axes) {
      const int k = norm_axis(a, out_rank);
      if (unit[size_t(k)]) throw ShapeError("axes " + ints_str(axes) + " repeat an axis");
      unit[size_t(k)] = true;
    }
    Shape s;
    for (int k = 0, i = 0; k < out_rank; ++k) s.push_back(unit[size_t(k)] ? 1 : c.size(i++));
    set_const(n, reshape(c.contiguous(), s));
  }

  void pad(const onnx::NodeProto& n) {
    if (attr_string(n, "mode", "constant") != "constant") throw ValueError("only mode 'constant' is supported");
    if (has_in(n, 3)) throw ValueError("the axes input is not supported");
    Val& x = var_in(n, 0);
    const int rank = x.rank();
    std::vector<int64_t> pads;
    if (opset_ >= 11) {
      pads = to_ints(const_in(n, 1, "pads"), "pads");
    } else {
      auto p = attr_ints(n, "pads");
      if (!p) throw ValueError("attribute 'pads' is required");
      pads = *p;
    }
    if (pads.size() != size_t(2 * rank)) throw ShapeError("pads " + ints_str(pads) + " should have " + std::to_string(2 * rank) + " entries");
    double value = opset_ >= 11 ? 0.0 : attr_float(n, "value", 0.0f);
    if (opset_ >= 11 && has_in(n, 2)) {
      const Tensor& v = const_in(n, 2, "constant_value");
      if (v.numel() != 1) throw ShapeError("constant_value should be a scalar");
      value = v.item();
    }
    bool zero = true;
    for (int64_t p : pads) {
      if (p < 0 || p > kMaxWindow) throw ValueError("pads " + ints_str(pads) + " must be in [0, " + std::to_string(kMaxWindow) + "]");
      zero = zero && p == 0;
    }
    if (zero) return set_out(n, x);  // torch's AvgPool2d export puts an all-zero Pad in front
    // The batch axis is the model's: padding it would change how many samples come out.
    if (pads[size_t(x.order[0])] != 0 || pads[size_t(x.order[0] + rank)] != 0)
      throw ValueError("pads " + ints_str(pads) + " pad the batch axis (" + std::to_string(x.order[0]) + ")");
    std::vector<std::pair<int64_t, int64_t>> per_axis(static_cast<size_t>(rank));
    for (int k = 0; k < rank; ++k) per_axis[size_t(k)] = {pads[size_t(x.order[size_t(k)])], pads[size_t(x.order[size_t(k)] + rank)]};
    set_out(n, pad_op(base_, x.t, per_axis, value), x.order);
  }

  const onnx::ModelProto& m_;
  const onnx::GraphProto& g_;
  std::string where_;
  int64_t opset_ = 0;
  std::map<std::string, Val> vals_;
  std::map<std::string, int> consumers_;  // how many node inputs and graph outputs read each value
  std::set<int> folded_;                  // nodes merged into an earlier one (an Add into its MatMul's Dense)
  std::set<std::string> names_;
  std::string base_;       // the layer name of the node being imported
  std::string node_name_;  // and its ONNX name
  std::map<std::pair<std::string, Order>, KerasTensor> converted_;
  std::vector<KerasTensor> inputs_;
};

onnx::ModelProto parse(std::string_view bytes, const std::string& where) {
  onnx::ModelProto m;
  if (bytes.size() > size_t(std::numeric_limits<int>::max()))
    throw IOError(where + ": over 2 GB; nabla reads ONNX files without external data, which protobuf caps at 2 GB");
  if (!m.ParseFromArray(bytes.data(), int(bytes.size())))
    throw IOError(where + ": not a valid ONNX model: the protobuf does not parse (truncated or corrupt file)");
  if (!m.has_graph()) throw IOError(where + ": no graph (not an ONNX model, or a truncated one)");
  return m;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw IOError("load_model: cannot open '" + path + "'");
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) throw IOError("load_model: error reading '" + path + "'");
  return ss.str();
}

std::vector<std::string> dims_of(const onnx::ValueInfoProto& v) {
  std::vector<std::string> r;
  if (!v.type().has_tensor_type() || !v.type().tensor_type().has_shape()) return r;
  for (const auto& d : v.type().tensor_type().shape().dim())
    r.push_back(d.has_dim_value() ? std::to_string(d.dim_value()) : d.has_dim_param() ? d.dim_param() : "?");
  return r;
}

}  // namespace

std::shared_ptr<Model> parse_onnx_model(std::string_view bytes, const std::string& where) {
  onnx::ModelProto m = parse(bytes, where);
  return Importer(m, where).run();
}

std::shared_ptr<Model> load_onnx_model(const std::string& path) {
  return parse_onnx_model(read_file(path), "load_model: '" + path + "'");
}

OnnxGraphInfo describe_onnx(const std::string& path) {
  onnx::ModelProto m = parse(read_file(path), "'" + path + "'");
  OnnxGraphInfo info;
  info.producer = m.producer_name() + (m.producer_version().empty() ? "" : " " + m.producer_version());
  info.graph_name = m.graph().name();
  info.ir_version = m.ir_version();
  for (const auto& o : m.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") info.opset = o.version();
  std::set<std::string> inits;
  for (const auto& t : m.graph().initializer()) {
    inits.insert(t.name());
    int64_t n = 1;
    for (int64_t d : t.dims()) n = d > 0 && n < (int64_t(1) << 40) ? n * d : (d == 0 ? 0 : n);
    info.parameters += n;
  }
  info.initializers = inits.size();
  auto value = [](const onnx::ValueInfoProto& v) {
    return OnnxValueInfo{v.name(), v.type().has_tensor_type() ? elem_type_name(v.type().tensor_type().elem_type()) : "non-tensor", dims_of(v)};
  };
  for (const auto& v : m.graph().input())
    if (!inits.count(v.name())) info.inputs.push_back(value(v));
  for (const auto& v : m.graph().output()) info.outputs.push_back(value(v));
  for (const auto& n : m.graph().node())
    info.nodes.push_back({n.name(), n.op_type(), n.domain(), {n.input().begin(), n.input().end()}, {n.output().begin(), n.output().end()}});
  return info;
}

}  // namespace nabla::io
