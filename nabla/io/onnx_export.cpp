#include "nabla/io/onnx_export.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>
#include <vector>

#include "nabla/core/atomic_file.h"
#include "nabla/core/error.h"
#include "nabla/nn/input_layer.h"
#include "nabla/nn/layer_registry.h"
#include "nabla/nn/recurrent_layer.h"
#include "nabla/nn/size2.h"
#include "nabla/ops/padding.h"
#include "nabla/train/functional.h"
#include "nabla/train/sequential.h"

namespace nabla::io {
namespace {

using json = nlohmann::json;

// How a value's elements are laid out in the ONNX graph. keras: as nabla holds it (NHWC for images). nchw: a
// rank-4 NHWC value transposed for ONNX's Conv and pools. flat_chw: a Flatten of an nchw value, i.e. Keras's
// flat vector with its elements permuted (CHW order instead of HWC).
enum class Layout { keras, nchw, flat_chw };

struct Val {
  std::string name;
  Shape shape;  // Keras's shape (batch axis -1), whatever the layout
  Layout layout = Layout::keras;
  Shape nhwc;   // flat_chw only: the [batch, h, w, c] shape that was flattened in CHW order
};

std::vector<float> floats(const Tensor& t) { return t.detach().contiguous().to_vector<float>(); }

std::vector<int64_t> dims_of(const Tensor& t) { return {t.shape().begin(), t.shape().end()}; }

// v (row-major with dimensions dims) with its axes permuted: output axis i is input axis perm[i].
std::vector<float> permuted(const std::vector<float>& v, const std::vector<int64_t>& dims,
                            const std::vector<int>& perm) {
  const size_t r = dims.size();
  std::vector<int64_t> stride(r, 1), out_dims(r), step(r), idx(r, 0);
  for (size_t i = r - 1; i > 0; --i) stride[i - 1] = stride[i] * dims[i];
  for (size_t i = 0; i < r; ++i) {
    out_dims[i] = dims[size_t(perm[i])];
    step[i] = stride[size_t(perm[i])];
  }
  std::vector<float> out(v.size());
  for (size_t o = 0; o < out.size(); ++o) {
    int64_t src = 0;
    for (size_t i = 0; i < r; ++i) src += idx[i] * step[i];
    out[o] = v[size_t(src)];
    for (size_t i = r; i-- > 0;) {
      if (++idx[i] < out_dims[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

void attr_i(onnx::NodeProto* n, const std::string& name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}
void attr_f(onnx::NodeProto* n, const std::string& name, double v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(float(v));
}
void attr_ints(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}
void attr_s(onnx::NodeProto* n, const std::string& name, const std::string& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(v);
}

void set_float_type(onnx::ValueInfoProto* vi, const std::string& name, const Shape& shape) {
  vi->set_name(name);
  auto* t = vi->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  auto* s = t->mutable_shape();
  for (int i = 0; i < shape.size(); ++i) {
    auto* d = s->add_dim();
    if (i == 0)
      d->set_dim_param("batch");  // dynamic batch axis
    else if (shape[i] >= 0)
      d->set_dim_value(shape[i]);
  }
}

const char* const kSupported =
    "Dense, Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, BatchNormalization, Activation, ReLU, "
    "LeakyReLU, ELU, Softmax, Dropout, Flatten, Reshape, Add, Concatenate, Embedding, SimpleRNN, LSTM, GRU";

class Exporter {
 public:
  Exporter(const Model& model, int opset, std::string who) : model_(model), opset_(opset), who_(std::move(who)) {}
  onnx::ModelProto run();

 private:
  // ---- graph building ----
  std::string fresh(const std::string& base);
  onnx::NodeProto* node(const std::string& op, const std::vector<std::string>& in, const std::string& where);
  std::string out(const onnx::NodeProto* n) const { return n->output(0); }
  std::string op(const std::string& type, const std::vector<std::string>& in, const std::string& where) {
    return out(node(type, in, where));
  }
  std::string initializer(const std::string& name, const std::vector<float>& v, const std::vector<int64_t>& dims);
  // A weight of layer l (or a form of it, named by tag; variant tells apart forms of one tag) as an initializer,
  // made once per layer even when the layer is applied twice (shared weights).
  std::string weight(const nn::Layer& l, const std::string& tag,
                     const std::function<std::pair<std::vector<float>, std::vector<int64_t>>()>& make,
                     const std::string& variant = "");
  std::string ints(const std::vector<int64_t>& v);
  std::string scalar(float v);
  // ---- layouts ----
  Val to_keras(const Val& v);
  Val to_nchw(const Val& v);
  // ---- layers ----
  Val emit(const nn::Layer& l, const std::vector<Val>& in, const Shape& out_shape);
  Val dense(const nn::Layer& l, const json& c, Val x, const Shape& out_shape);
  Val conv2d(const nn::Layer& l, const json& c, const Val& in, const Shape& out_shape);
  Val pool2d(const nn::Layer& l, const json& c, const Val& in, const Shape& out_shape);
  Val batch_norm(const nn::Layer& l, const json& c, const Val& in, const Shape& out_shape);
  Val merge(const nn::Layer& l, const json& c, const std::vector<Val>& in, const Shape& out_shape);
  Val relu_layer(const nn::Layer& l, const json& c, const Val& x);
  Val recurrent(const nn::Layer& l, Val x, const Shape& out_shape);  // SimpleRNN, LSTM, GRU: ONNX RNN, LSTM, GRU
  // The activation `name` (Keras's names) applied to x; softmax acts on `axis` (the Keras last axis in x's layout).
  std::string activation(const std::string& name, const std::string& x, int64_t axis, const std::string& where);
  static int64_t softmax_axis(const Val& v) { return v.layout == Layout::nchw ? 1 : -1; }
  // ---- the model ----
  void add_input(const std::string& name, const Shape& shape);
  void add_outputs(const std::vector<Val>& vals, const std::vector<std::string>& names);
  // Drops nodes and initializers no output depends on (a Flatten in CHW order whose readers all wanted the NHWC
  // one, say). Nodes are in emission order, which is topological.
  void prune();
  std::string layer_who(const nn::Layer& l) const { return who_ + ": layer '" + l.name() + "' (" + l.type() + ")"; }

  const Model& model_;
  int opset_;
  std::string who_;
  onnx::GraphProto* g_ = nullptr;
  std::set<std::string> used_;
  std::set<std::string> graph_inputs_;
  std::map<std::string, std::string> nchw_of_, keras_of_;  // converted copies of values, made once
  std::map<std::string, std::string> flattened_from_;     // a CHW-order Flatten's output -> its NCHW input
  std::map<uint32_t, std::string> scalars_;
  // Each layer's weights once, also for a layer applied twice (shared weights).
  std::map<std::pair<const nn::Layer*, std::string>, std::string> weights_;
};

std::string Exporter::fresh(const std::string& base) {
  std::string n = base;
  for (int i = 1; used_.count(n); ++i) n = base + "_" + std::to_string(i);
  used_.insert(n);
  return n;
}

onnx::NodeProto* Exporter::node(const std::string& op, const std::vector<std::string>& in, const std::string& where) {
  onnx::NodeProto* n = g_->add_node();
  n->set_op_type(op);
  n->set_name(fresh(where + "/" + op));
  for (const auto& i : in) n->add_input(i);
  n->add_output(fresh(n->name() + ":0"));
  return n;
}

std::string Exporter::initializer(const std::string& name, const std::vector<float>& v,
                                  const std::vector<int64_t>& dims) {
  onnx::TensorProto* t = g_->add_initializer();
  t->set_name(fresh(name));
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  // raw_data is little-endian, as the machines nabla runs on.
  t->set_raw_data(v.data(), v.size() * sizeof(float));
  return t->name();
}

std::string Exporter::weight(const nn::Layer& l, const std::string& tag,
                             const std::function<std::pair<std::vector<float>, std::vector<int64_t>>()>& make,
                             const std::string& variant) {
  std::string& name = weights_[{&l, tag + "@" + variant}];
  if (name.empty()) {
    auto [v, dims] = make();
    name = initializer(l.name() + "/" + tag, v, dims);
  }
  return name;
}

std::string Exporter::ints(const std::vector<int64_t>& v) {
  onnx::TensorProto* t = g_->add_initializer();
  t->set_name(fresh("const/ints"));
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_dims(int64_t(v.size()));
  for (int64_t x : v) t->add_int64_data(x);
  return t->name();
}

std::string Exporter::scalar(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  auto it = scalars_.find(bits);
  if (it != scalars_.end()) return it->second;
  onnx::TensorProto* t = g_->add_initializer();
  t->set_name(fresh("const/scalar"));
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_float_data(v);
  return scalars_[bits] = t->name();
}

Val Exporter::to_nchw(const Val& v) {
  if (v.layout == Layout::nchw) return v;
  Val k = to_keras(v);
  NABLA_CHECK(k.shape.size() == 4, who_, ": internal: NCHW needs a rank-4 value, '", k.name, "' has shape ",
              k.shape.str());
  auto& name = nchw_of_[k.name];
  if (name.empty()) {
    onnx::NodeProto* n = node("Transpose", {k.name}, k.name + "/to_nchw");
    attr_ints(n, "perm", {0, 3, 1, 2});
    name = out(n);
    keras_of_[name] = k.name;
  }
  return {name, k.shape, Layout::nchw, {}};
}

Val Exporter::to_keras(const Val& v) {
  if (v.layout == Layout::keras) return v;
  auto& name = keras_of_[v.name];
  if (name.empty()) {
    if (v.layout == Layout::nchw) {
      onnx::NodeProto* n = node("Transpose", {v.name}, v.name + "/to_nhwc");
      attr_ints(n, "perm", {0, 2, 3, 1});
      name = out(n);
    } else {  // flat_chw: flatten the image's NHWC form, in Keras's HWC order
      auto src = flattened_from_.find(v.name);
      std::string image_nhwc;
      if (src != flattened_from_.end()) {  // the Flatten itself: transpose its input (once per image)
        image_nhwc = to_keras({src->second, v.nhwc, Layout::nchw, {}}).name;
      } else {  // a value computed from flattened images (an activation, an Add): unflatten first
        std::string x = op("Reshape", {v.name, ints({-1, v.nhwc[3], v.nhwc[1], v.nhwc[2]})}, v.name + "/to_hwc");
        onnx::NodeProto* t = node("Transpose", {x}, v.name + "/to_hwc");
        attr_ints(t, "perm", {0, 2, 3, 1});
        image_nhwc = out(t);
      }
      onnx::NodeProto* f = node("Flatten", {image_nhwc}, v.name + "/to_hwc");
      attr_i(f, "axis", 1);
      name = out(f);
    }
    if (v.layout == Layout::nchw) nchw_of_[name] = v.name;
  }
  return {name, v.shape, Layout::keras, {}};
}

std::string Exporter::activation(const std::string& a, const std::string& x, int64_t axis, const std::string& where) {
  auto unary = [&](const char* type) { return op(type, {x}, where); };
  auto with_alpha = [&](const char* type, double alpha) {
    onnx::NodeProto* n = node(type, {x}, where);
    attr_f(n, "alpha", alpha);
    return out(n);
  };
  auto hard_sigmoid = [&](const std::string& in) {
    onnx::NodeProto* n = node("HardSigmoid", {in}, where);
    attr_f(n, "alpha", 1.0 / 6.0);
    attr_f(n, "beta", 0.5);
    return out(n);
  };
  if (a.empty() || a == "linear") return x;
  if (a == "relu") return unary("Relu");
  if (a == "sigmoid") return unary("Sigmoid");
  if (a == "tanh") return unary("Tanh");
  if (a == "softplus") return unary("Softplus");
  if (a == "softsign") return unary("Softsign");
  if (a == "exponential") return unary("Exp");
  if (a == "relu6") return op("Clip", {x, scalar(0), scalar(6)}, where);
  if (a == "hard_tanh") return op("Clip", {x, scalar(-1), scalar(1)}, where);
  if (a == "softmax" || a == "log_softmax") {
    onnx::NodeProto* n = node(a == "softmax" ? "Softmax" : "LogSoftmax", {x}, where);
    attr_i(n, "axis", axis);
    return out(n);
  }
  if (a == "gelu") {  // exact: x / 2 (1 + erf(x / sqrt 2)); ONNX has Gelu from opset 20 only. ORT fuses this form.
    std::string e = op("Erf", {op("Div", {x, scalar(float(M_SQRT2))}, where)}, where);
    return op("Mul", {op("Mul", {x, op("Add", {e, scalar(1)}, where)}, where), scalar(0.5)}, where);
  }
  if (a == "leaky_relu") return with_alpha("LeakyRelu", 0.2);  // Keras's function default (the layer's is 0.3)
  if (a == "elu") return with_alpha("Elu", 1.0);
  if (a == "celu") return with_alpha("Celu", 1.0);
  if (a == "selu") {
    onnx::NodeProto* n = node("Selu", {x}, where);
    attr_f(n, "alpha", 1.6732632423543772848170429916717);
    attr_f(n, "gamma", 1.0507009873554804934193349852946);
    return out(n);
  }
  if (a == "silu" || a == "swish") return op("Mul", {x, unary("Sigmoid")}, where);
  if (a == "hard_sigmoid") return hard_sigmoid(x);  // Keras 3: relu6(x + 3) / 6
  if (a == "hard_silu" || a == "hard_swish")
    return opset_ >= 14 ? unary("HardSwish") : op("Mul", {x, hard_sigmoid(x)}, where);
  if (a == "mish") return op("Mul", {x, op("Tanh", {unary("Softplus")}, where)}, where);
  if (a == "log_sigmoid") return op("Neg", {op("Softplus", {unary("Neg")}, where)}, where);
  throw ValueError(who_ + ": " + where + ": activation '" + a + "' has no ONNX counterpart in nabla's exporter");
}

Val Exporter::dense(const nn::Layer& l, const json& c, Val x, const Shape& out_shape) {
  const Tensor k = l.weight("kernel");  // [in, units]
  const int64_t in_dim = k.shape()[0], units = k.shape()[1];
  std::string kernel;
  if (x.layout == Layout::flat_chw) {
    // The input holds Keras's flat vector in CHW order: permute the kernel's rows to the same order (exact).
    const Shape hwc = x.nhwc;
    kernel = weight(
        l, "kernel_chw",
        [&] {
          return std::make_pair(permuted(floats(k), {hwc[1], hwc[2], hwc[3], units}, {2, 0, 1, 3}),
                                std::vector<int64_t>{in_dim, units});
        },
        hwc.str());  // a shared Dense may read flattened images of different shapes
  } else {
    x = to_keras(x);
    kernel = weight(l, "kernel", [&] { return std::make_pair(floats(k), std::vector<int64_t>{in_dim, units}); });
  }
  std::vector<std::string> in{x.name, kernel};
  std::string bias;
  if (l.has_weight("bias"))
    bias = weight(l, "bias", [&] { return std::make_pair(floats(l.weight("bias")), std::vector<int64_t>{units}); });
  std::string y;
  if (x.shape.size() == 2) {  // Gemm: x W + b in one node
    if (!bias.empty()) in.push_back(bias);
    y = op("Gemm", in, l.name());
  } else {  // Keras's Dense acts on the last axis of any rank
    y = op("MatMul", in, l.name());
    if (!bias.empty()) y = op("Add", {y, bias}, l.name());
  }
  y = activation(nn::deserialize_activation(c.value("activation", json()), layer_who(l)), y, -1, l.name());
  return {y, out_shape, Layout::keras, {}};
}

Val Exporter::conv2d(const nn::Layer& l, const json& c, const Val& in, const Shape& out_shape) {
  const std::string who = layer_who(l);
  NABLA_CHECK_VALUE(c.value("groups", 1) == 1, who, ": groups > 1 has no export");
  Val x = to_nchw(in);
  const Tensor k = l.weight("kernel");  // HWIO [kh, kw, in, out] -> OIHW
  const std::vector<int64_t> kd = dims_of(k);
  std::vector<std::string> inputs{x.name, weight(l, "kernel", [&] {
                                    return std::make_pair(permuted(floats(k), kd, {3, 2, 0, 1}),
                                                          std::vector<int64_t>{kd[3], kd[2], kd[0], kd[1]});
                                  })};
  if (l.has_weight("bias"))
    inputs.push_back(
        weight(l, "bias", [&] { return std::make_pair(floats(l.weight("bias")), std::vector<int64_t>{kd[3]}); }));
  const nn::Size2 s = nn::Size2::from_json(c.at("strides"), who + " strides");
  const nn::Size2 d = nn::Size2::from_json(c.at("dilation_rate"), who + " dilation_rate");
  const Padding p = parse_padding(c.at("padding").get<std::string>(), who);
  onnx::NodeProto* n = node("Conv", inputs, l.name());
  attr_ints(n, "kernel_shape", {kd[0], kd[1]});
  attr_ints(n, "strides", {s.h, s.w});
  attr_ints(n, "dilations", {d.h, d.w});
  if (p == Padding::same) {
    const int64_t h = x.shape[1], w = x.shape[2];
    if (h > 0 && w > 0) {  // explicit pads, as nabla computes them (the odd one at the bottom/right)
      Window1D wh = window_1d(h, kd[0], s.h, d.h, p), ww = window_1d(w, kd[1], s.w, d.w, p);
      attr_ints(n, "pads", {wh.pad_before, ww.pad_before, wh.pad_after, ww.pad_after});
    } else {
      attr_s(n, "auto_pad", "SAME_UPPER");  // the same rule, for spatial sizes known only at run time
    }
  }
  std::string y = activation(nn::deserialize_activation(c.value("activation", json()), who), out(n), 1, l.name());
  return {y, out_shape, Layout::nchw, {}};
}

Val Exporter::pool2d(const nn::Layer& l, const json& c, const Val& in, const Shape& out_shape) {
  const std::string who = layer_who(l);
  Val x = to_nchw(in);
  const nn::Size2 k = nn::Size2::from_json(c.at("pool_size"), who + " pool_size");
  const nn::Size2 s = c.contains("strides") && !c["strides"].is_null()
                          ? nn::Size2::from_json(c["strides"], who + " strides") : k;
  const Padding p = parse_padding(c.at("padding").get<std::string>(), who);
  const bool avg = l.type() == "AveragePooling2D";
  onnx::NodeProto* n = node(avg ? "AveragePool" : "MaxPool", {x.name}, l.name());
  attr_ints(n, "kernel_shape", {k.h, k.w});
  attr_ints(n, "strides", {s.h, s.w});
  if (p == Padding::same) {
    const int64_t h = x.shape[1], w = x.shape[2];
    if (h > 0 && w > 0) {
      Window1D wh = window_1d(h, k.h, s.h, 1, p), ww = window_1d(w, k.w, s.w, 1, p);
      attr_ints(n, "pads", {wh.pad_before, ww.pad_before, wh.pad_after, ww.pad_after});
    } else {
      attr_s(n, "auto_pad", "SAME_UPPER");
    }
  }
  if (avg) attr_i(n, "count_include_pad", 0);  // as TensorFlow: padded positions are not counted
  return {out(n), out_shape, Layout::nchw, {}};
}

Val Exporter::batch_norm(const nn::Layer& l, const json& c, const Val& in, const Shape& out_shape) {
  const int64_t ch = out_shape.back();
  auto param = [&](const char* w, float dflt) {  // gamma / beta are absent with scale / center off
    return weight(l, w, [&] {
      return std::make_pair(l.has_weight(w) ? floats(l.weight(w)) : std::vector<float>(size_t(ch), dflt),
                            std::vector<int64_t>{ch});
    });
  };
  std::vector<std::string> params{param("gamma", 1), param("beta", 0), param("moving_mean", 0),
                                  param("moving_variance", 1)};
  const double eps = c.value("epsilon", 1e-3);
  auto bn = [&](const std::string& x) {
    std::vector<std::string> inputs{x};
    inputs.insert(inputs.end(), params.begin(), params.end());
    onnx::NodeProto* n = node("BatchNormalization", inputs, l.name());
    attr_f(n, "epsilon", eps);
    return out(n);
  };
  // ONNX normalizes axis 1: NCHW images and [batch, features] directly; other ranks move the last axis there.
  const int rank = in.shape.size();
  if (rank == 4) return {bn(to_nchw(in).name), out_shape, Layout::nchw, {}};
  Val x = to_keras(in);
  if (rank == 2) return {bn(x.name), out_shape, Layout::keras, {}};
  std::vector<int64_t> fwd{0, rank - 1}, back{0};
  for (int64_t i = 1; i < rank - 1; ++i) fwd.push_back(i);
  for (int64_t i = 2; i < rank; ++i) back.push_back(i);
  back.push_back(1);
  onnx::NodeProto* t = node("Transpose", {x.name}, l.name());
  attr_ints(t, "perm", fwd);
  onnx::NodeProto* tb = node("Transpose", {bn(out(t))}, l.name());
  attr_ints(tb, "perm", back);
  return {out(tb), out_shape, Layout::keras, {}};
}

Val Exporter::merge(const nn::Layer& l, const json& c, const std::vector<Val>& in, const Shape& out_shape) {
  const bool concat = l.type() == "Concatenate";
  const int rank = out_shape.size();
  // Keep the inputs' common layout when they share one; otherwise NCHW if any image is NCHW, else Keras's.
  bool same = true, any_nchw = false;
  for (const Val& v : in) {
    same = same && v.layout == in[0].layout && v.nhwc == in[0].nhwc;
    any_nchw = any_nchw || v.layout == Layout::nchw;
  }
  Layout layout = same ? in[0].layout : (rank == 4 && any_nchw ? Layout::nchw : Layout::keras);
  if (concat && layout == Layout::flat_chw) layout = Layout::keras;  // the CHW permutation is per input
  std::vector<std::string> xs;
  for (const Val& v : in) {
    if (layout == Layout::nchw)
      xs.push_back(to_nchw(v).name);
    else if (layout == Layout::keras)
      xs.push_back(to_keras(v).name);
    else
      xs.push_back(v.name);  // flat_chw, all of the same image shape
  }
  Val r{"", out_shape, layout, layout == Layout::flat_chw ? in[0].nhwc : Shape{}};
  if (!concat) {  // pairwise, in order, as nabla sums
    r.name = xs[0];
    for (size_t i = 1; i < xs.size(); ++i) r.name = op("Add", {r.name, xs[i]}, l.name());
    return r;
  }
  int64_t axis = c.value("axis", -1);
  if (axis < 0) axis += rank;
  if (layout == Layout::nchw) axis = std::vector<int64_t>{0, 2, 3, 1}[size_t(axis)];
  onnx::NodeProto* n = node("Concat", xs, l.name());
  attr_i(n, "axis", axis);
  r.name = out(n);
  return r;
}

Val Exporter::relu_layer(const nn::Layer& l, const json& c, const Val& x) {
  const double ns = c.value("negative_slope", 0.0), th = c.value("threshold", 0.0);
  const bool clip = c.contains("max_value") && !c["max_value"].is_null();
  const float mx = clip ? c.at("max_value").get<float>() : 0.f;
  Val r = x;
  if (!clip && th == 0 && ns == 0) {
    r.name = op("Relu", {x.name}, l.name());
    return r;
  }
  if (!clip && th == 0) {
    onnx::NodeProto* n = node("LeakyRelu", {x.name}, l.name());
    attr_f(n, "alpha", ns);
    r.name = out(n);
    return r;
  }
  if (ns == 0 && th == 0) {
    r.name = op("Clip", {x.name, scalar(0), scalar(mx)}, l.name());
    return r;
  }
  // Keras's relu: (x > threshold ? x : 0), clipped to [0, max_value], minus slope * max(threshold - x, 0)
  std::string y = op("Where", {op("Greater", {x.name, scalar(float(th))}, l.name()), x.name, scalar(0)}, l.name());
  if (clip) y = op("Clip", {y, scalar(0), scalar(mx)}, l.name());
  if (ns != 0)
    y = op("Sub", {y, op("Mul", {scalar(float(ns)), op("Relu", {op("Sub", {scalar(float(th)), x.name}, l.name())},
                                                          l.name())}, l.name())}, l.name());
  r.name = y;
  return r;
}

Val Exporter::emit(const nn::Layer& l, const std::vector<Val>& in, const Shape& out_shape) {
  const std::string& t = l.type();
  const json c = l.get_config();
  auto one = [&] {
    NABLA_CHECK_VALUE(in.size() == 1, layer_who(l), ": expects one input, got ", in.size());
    return in[0];
  };
  if (t == "InputLayer" || t == "Dropout") return one();  // Dropout is the identity at inference
  if (t == "Dense") return dense(l, c, one(), out_shape);
  if (t == "Conv2D") return conv2d(l, c, one(), out_shape);
  if (t == "MaxPooling2D" || t == "AveragePooling2D") return pool2d(l, c, one(), out_shape);
  if (t == "BatchNormalization") return batch_norm(l, c, one(), out_shape);
  if (t == "LayerNormalization") {
    // ONNX's LayerNormalization (opset 17) normalizes the axes from `axis` to the last, as nabla's layer (trailing
    // axes only); Scale and B are required, so ones / zeros stand in for gamma / beta when scale / center are off.
    NABLA_CHECK_VALUE(opset_ >= 17, layer_who(l), ": LayerNormalization needs ONNX opset 17 or later, got ",
                      opset_);
    Val x = to_keras(one());
    const json axis = c.at("axis");
    const int64_t k = axis.is_array() ? int64_t(axis.size()) : 1;
    std::vector<int64_t> dims(out_shape.end() - k, out_shape.end());
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    auto param = [&](const char* w, float dflt) {
      return weight(l, w, [&] {
        return std::make_pair(l.has_weight(w) ? floats(l.weight(w)) : std::vector<float>(size_t(n), dflt), dims);
      });
    };
    onnx::NodeProto* ln = node("LayerNormalization", {x.name, param("gamma", 1), param("beta", 0)}, l.name());
    attr_i(ln, "axis", -k);
    attr_f(ln, "epsilon", c.value("epsilon", 1e-3));
    return {out(ln), out_shape, Layout::keras, {}};
  }
  if (t == "Add" || t == "Concatenate") return merge(l, c, in, out_shape);
  if (t == "GlobalAveragePooling2D") {
    Val x = one();
    if (x.layout != Layout::nchw) x = to_keras(x);
    onnx::NodeProto* n = node("ReduceMean", {x.name}, l.name());  // axes is an attribute up to opset 17
    attr_ints(n, "axes", x.layout == Layout::nchw ? std::vector<int64_t>{2, 3} : std::vector<int64_t>{1, 2});
    attr_i(n, "keepdims", 0);
    return {out(n), out_shape, Layout::keras, {}};
  }
  if (t == "Activation" || t == "Softmax") {
    Val x = one();
    const std::string a = t == "Softmax" ? "softmax" : nn::deserialize_activation(c.at("activation"), layer_who(l));
    x.name = activation(a, x.name, softmax_axis(x), l.name());
    return x;
  }
  if (t == "ReLU") return relu_layer(l, c, one());
  if (t == "LeakyReLU" || t == "ELU") {
    Val x = one();
    onnx::NodeProto* n = node(t == "ELU" ? "Elu" : "LeakyRelu", {x.name}, l.name());
    attr_f(n, "alpha", t == "ELU" ? c.value("alpha", 1.0) : c.value("negative_slope", 0.3));
    x.name = out(n);
    return x;
  }
  if (t == "Flatten") {
    Val x = one();
    bool static_hwc = x.shape.size() == 4;
    for (int i = 1; static_hwc && i < 4; ++i) static_hwc = x.shape[i] > 0;
    if (x.layout == Layout::nchw && static_hwc) {  // flatten in CHW order; a Dense reading it permutes its kernel
      onnx::NodeProto* n = node("Flatten", {x.name}, l.name());
      attr_i(n, "axis", 1);
      flattened_from_[out(n)] = x.name;
      return {out(n), out_shape, Layout::flat_chw, x.shape};
    }
    if (x.shape.size() == 2) return x;  // already flat (in whichever order it is)
    x = to_keras(x);
    onnx::NodeProto* n = node("Flatten", {x.name}, l.name());
    attr_i(n, "axis", 1);
    return {out(n), out_shape, Layout::keras, {}};
  }
  if (t == "Reshape") {
    Val x = to_keras(one());
    std::vector<int64_t> shape{0};  // 0: the input's batch size
    for (const auto& d : c.at("target_shape")) shape.push_back(d.get<int64_t>());
    return {op("Reshape", {x.name, ints(shape)}, l.name()), out_shape, Layout::keras, {}};
  }
  if (t == "Embedding") {
    Val x = to_keras(one());
    onnx::NodeProto* cast = node("Cast", {x.name}, l.name());  // ids arrive as float32, as Keras's Input dtype
    attr_i(cast, "to", onnx::TensorProto::INT64);
    const Tensor e = l.weight("embeddings");
    std::string table = weight(l, "embeddings", [&] { return std::make_pair(floats(e), dims_of(e)); });
    onnx::NodeProto* n = node("Gather", {table, out(cast)}, l.name());
    attr_i(n, "axis", 0);
    return {out(n), out_shape, Layout::keras, {}};
  }
  if (t == "SimpleRNN" || t == "LSTM" || t == "GRU") return recurrent(l, one(), out_shape);
  throw ValueError(layer_who(l) + " has no ONNX counterpart in nabla's exporter (it exports " + kSupported + ")");
}

// Keras's recurrent layers as ONNX's RNN, LSTM and GRU (GRU with linear_before_reset = Keras 3's reset_after).
// The weights are transposed to ONNX's [1, gates * units, features] with the gates in ONNX's order (LSTM i, o, f,
// c; Keras i, f, c, o; GRU z, r, h in both); the bias is ONNX's [Wb, Rb] (Keras's LSTM and SimpleRNN have one
// bias: Rb = 0). The input goes time-major, reversed in time for go_backwards (Keras returns the outputs in that
// processing order, which ONNX's "reverse" direction would undo).
Val Exporter::recurrent(const nn::Layer& l, Val x, const Shape& out_shape) {
  const auto* r = dynamic_cast<const nn::RecurrentLayer*>(&l);
  NABLA_CHECK_VALUE(r != nullptr, layer_who(l), ": not a recurrent layer");
  const nn::RecurrentOptions& o = r->options();
  NABLA_CHECK_VALUE(!o.return_state, layer_who(l), ": return_state gives several outputs; not exported");
  // ONNX's sequence_lens covers only right padding; Keras's masks may have holes, so masked models are refused.
  for (const auto& m : model_.layers())
    NABLA_CHECK_VALUE(m->type() != "Masking" && !(m->type() == "Embedding" && m->get_config().value("mask_zero", false)),
                      layer_who(l), ": masked sequences (layer '", m->name(), "') are not exported to ONNX");
  auto onnx_act = [&](const std::string& a) -> std::string {
    if (a == "tanh") return "Tanh";
    if (a == "sigmoid") return "Sigmoid";
    if (a == "relu") return "Relu";
    throw ValueError(layer_who(l) + ": activation '" + a + "' has no counterpart in ONNX's recurrent ops here "
                     "(tanh, sigmoid, relu)");
  };
  const RecurrentCell cell = r->cell();
  const bool lstm = cell == RecurrentCell::lstm, gru = cell == RecurrentCell::gru;
  const int64_t H = r->units(), G = lstm ? 4 : gru ? 3 : 1, GH = G * H;
  const Tensor k = l.weight("kernel"), u = l.weight("recurrent_kernel");
  const std::vector<int64_t> order = lstm ? std::vector<int64_t>{0, 3, 1, 2} : gru ? std::vector<int64_t>{0, 1, 2}
                                                                                 : std::vector<int64_t>{0};
  // [rows, G*H] Keras matrix -> [1, G*H, rows] in ONNX's gate order.
  auto onnx_matrix = [&](const Tensor& m) {
    const std::vector<float> v = floats(m);
    const int64_t rows = m.shape()[0];
    std::vector<float> out(size_t(GH * rows));
    for (int64_t g = 0; g < G; ++g)
      for (int64_t j = 0; j < H; ++j)
        for (int64_t i = 0; i < rows; ++i)
          out[size_t((g * H + j) * rows + i)] = v[size_t(i * GH + order[size_t(g)] * H + j)];
    return std::make_pair(out, std::vector<int64_t>{1, GH, rows});
  };
  const std::string W = weight(l, "kernel", [&] { return onnx_matrix(k); });
  const std::string R = weight(l, "recurrent_kernel", [&] { return onnx_matrix(u); });
  std::vector<std::string> inputs;
  x = to_keras(x);
  onnx::NodeProto* tr = node("Transpose", {x.name}, l.name());  // [N, T, F] -> [T, N, F]
  attr_ints(tr, "perm", {1, 0, 2});
  std::string xt = out(tr);
  if (o.go_backwards)
    xt = op("Slice", {xt, ints({-1}), ints({std::numeric_limits<int64_t>::min()}), ints({0}), ints({-1})}, l.name());
  inputs = {xt, W, R};
  if (l.has_weight("bias")) {
    const std::string B = weight(l, "bias", [&] {
      const std::vector<float> b = floats(l.weight("bias"));
      std::vector<float> out(size_t(2 * GH), 0.0f);
      for (int64_t half = 0; half < (gru ? 2 : 1); ++half)
        for (int64_t g = 0; g < G; ++g)
          for (int64_t j = 0; j < H; ++j)
            out[size_t(half * GH + g * H + j)] = b[size_t(half * GH + order[size_t(g)] * H + j)];
      return std::make_pair(out, std::vector<int64_t>{1, 2 * GH});
    });
    inputs.push_back(B);
  }
  onnx::NodeProto* n = node(lstm ? "LSTM" : gru ? "GRU" : "RNN", inputs, l.name());
  n->add_output(fresh(n->name() + ":1"));  // Y_h
  attr_i(n, "hidden_size", H);
  if (gru) attr_i(n, "linear_before_reset", 1);
  auto* acts = n->add_attribute();
  acts->set_name("activations");
  acts->set_type(onnx::AttributeProto::STRINGS);
  if (cell != RecurrentCell::simple_rnn) acts->add_strings(onnx_act(o.recurrent_activation));
  acts->add_strings(onnx_act(o.activation));
  if (lstm) acts->add_strings(onnx_act(o.activation));
  if (o.return_sequences) {  // Y [T, 1, N, H] -> [N, T, H]
    onnx::NodeProto* t2 = node("Transpose", {n->output(0)}, l.name());
    attr_ints(t2, "perm", {2, 0, 1, 3});
    return {op("Reshape", {out(t2), ints({0, 0, H})}, l.name()), out_shape, Layout::keras, {}};
  }
  return {op("Reshape", {n->output(1), ints({-1, H})}, l.name()), out_shape, Layout::keras, {}};  // Y_h [1, N, H]
}

void Exporter::add_input(const std::string& name, const Shape& shape) {
  used_.insert(name);
  graph_inputs_.insert(name);
  set_float_type(g_->add_input(), name, shape);
}

void Exporter::add_outputs(const std::vector<Val>& vals, const std::vector<std::string>& names) {
  std::vector<std::string> internal;
  for (const Val& v : vals) internal.push_back(to_keras(v).name);
  std::map<std::string, std::string> renamed;  // internal value -> the output name it now has
  for (size_t i = 0; i < vals.size(); ++i) {
    const std::string& name = names[i];
    used_.insert(name);
    auto it = renamed.find(internal[i]);
    if (internal[i] == name) {
      // An input that is also an output (an Input passed straight through): ONNX lets an output name an input.
    } else if (!graph_inputs_.count(internal[i]) && it == renamed.end()) {
      // The producing node's output takes the model's name (no Identity node).
      for (auto& n : *g_->mutable_node()) {
        for (auto& s : *n.mutable_input())
          if (s == internal[i]) s = name;
        for (auto& s : *n.mutable_output())
          if (s == internal[i]) s = name;
      }
      renamed[internal[i]] = name;
    } else {  // an input passed through, or one value behind two outputs
      onnx::NodeProto* n = node("Identity", {it == renamed.end() ? internal[i] : it->second}, name);
      n->set_output(0, name);
    }
    set_float_type(g_->add_output(), name, vals[i].shape);
  }
}

void Exporter::prune() {
  std::set<std::string> needed;
  for (const auto& o : g_->output()) needed.insert(o.name());
  auto* nodes = g_->mutable_node();
  std::vector<bool> keep(size_t(nodes->size()), false);
  for (int i = nodes->size() - 1; i >= 0; --i) {
    const onnx::NodeProto& n = nodes->Get(i);
    for (const auto& o : n.output()) keep[size_t(i)] = keep[size_t(i)] || needed.count(o);
    if (keep[size_t(i)])
      for (const auto& in : n.input()) needed.insert(in);
  }
  google::protobuf::RepeatedPtrField<onnx::NodeProto> kept_nodes;
  for (int i = 0; i < nodes->size(); ++i)
    if (keep[size_t(i)]) kept_nodes.Add()->Swap(nodes->Mutable(i));
  nodes->Swap(&kept_nodes);
  google::protobuf::RepeatedPtrField<onnx::TensorProto> kept_inits;
  for (auto& t : *g_->mutable_initializer())
    if (needed.count(t.name())) kept_inits.Add()->Swap(&t);
  g_->mutable_initializer()->Swap(&kept_inits);
}

onnx::ModelProto Exporter::run() {
  NABLA_CHECK_VALUE(opset_ >= kOnnxMinOpset && opset_ <= kOnnxMaxOpset, who_, ": opset ", opset_,
                    " is not supported; nabla writes ONNX opsets ", kOnnxMinOpset, " to ", kOnnxMaxOpset);
  for (const auto& l : model_.layers())
    NABLA_CHECK_VALUE(l->built(), who_, ": layer '", l->name(), "' (", l->type(), ") of model '", model_.name(),
                      "' is not built; call the model on data or give it an input shape first");
  onnx::ModelProto m;
  // IR 7 came with opsets 13 and 14 (onnx 1.8, 1.9), IR 8 with 15 to 17 (onnx 1.10 to 1.12).
  m.set_ir_version(opset_ >= 15 ? 8 : 7);
  m.set_producer_name("nabla");
  m.set_producer_version("0.1.0");
  auto* os = m.add_opset_import();
  os->set_domain("");
  os->set_version(opset_);
  g_ = m.mutable_graph();
  g_->set_name(model_.name());
  g_->set_doc_string("exported by nabla from model '" + model_.name() + "' (inference: Dropout dropped, "
                     "BatchNormalization on its moving statistics)");

  if (const auto* seq = dynamic_cast<const Sequential*>(&model_)) {
    const auto layers = seq->layers();
    NABLA_CHECK_VALUE(!layers.empty(), who_, ": model '", model_.name(), "' has no layers");
    std::string in_name = "input_layer";
    Shape shape;
    if (layers[0]->type() == "InputLayer") {
      in_name = layers[0]->name().empty() ? in_name : layers[0]->name();
      shape = static_cast<const nn::InputLayer&>(*layers[0]).shape();
    } else {
      shape = layers[0]->built_input_shapes().at(0);
    }
    shape[0] = -1;
    for (const auto& l : layers) used_.insert(l->name());
    add_input(in_name, shape);
    Val cur{in_name, shape, Layout::keras, {}};
    for (const auto& l : layers) {
      if (l->type() == "InputLayer") continue;
      cur = emit(*l, {cur}, l->compute_output_shape({cur.shape}));
    }
    used_.erase(layers.back()->name());  // the output's name; internal names never take it (they hold a '/')
    add_outputs({cur}, {layers.back()->name()});
    prune();
    return m;
  }
  const auto* fn = dynamic_cast<const Functional*>(&model_);
  NABLA_CHECK_VALUE(fn != nullptr, who_, ": model '", model_.name(),
                    "' is neither Sequential nor functional; a subclassed model has no graph to export");
  for (const auto& l : fn->layers()) used_.insert(l->name());
  std::map<const functional::Node*, Val> vals;
  for (const KerasTensor& in : fn->inputs()) {
    add_input(in.name(), in.shape());
    vals[in.node().get()] = {in.name(), in.shape(), Layout::keras, {}};
  }
  // Post-order walk from the outputs (iterative, as Functional's own), emitting each node once.
  for (const KerasTensor& o : fn->outputs()) {
    std::vector<std::pair<const functional::Node*, size_t>> stack{{o.node().get(), 0}};
    while (!stack.empty()) {
      auto& [n, next] = stack.back();
      if (vals.count(n)) {
        stack.pop_back();
        continue;
      }
      if (next < n->inputs.size()) {
        const functional::Node* child = n->inputs[next++].get();
        stack.emplace_back(child, 0);
        continue;
      }
      std::vector<Val> args;
      for (const auto& i : n->inputs) args.push_back(vals.at(i.get()));
      vals[n] = emit(*n->layer, args, n->shape);
      stack.pop_back();
    }
  }
  std::vector<Val> outs;
  std::vector<std::string> names;
  for (const KerasTensor& o : fn->outputs()) {
    outs.push_back(vals.at(o.node().get()));
    names.push_back(o.name());
    used_.erase(o.name());
  }
  add_outputs(outs, names);
  prune();
  return m;
}

}  // namespace

std::string onnx_model_bytes(const Model& model, int opset) {
  onnx::ModelProto m = Exporter(model, opset, "onnx_model_bytes").run();
  std::string bytes;
  NABLA_CHECK(m.SerializeToString(&bytes), "onnx_model_bytes: protobuf could not serialize model '", model.name(),
              "'");
  return bytes;
}

void export_onnx(const Model& model, const std::string& path, int opset) {
  const std::string who = "export_onnx: '" + path + "'";
  onnx::ModelProto m = Exporter(model, opset, who).run();
  std::string bytes;
  if (!m.SerializeToString(&bytes)) throw IOError(who + ": protobuf could not serialize the model");
  write_file_atomic(path, bytes, "export_onnx");  // a unique temporary name beside path, fsynced, renamed
}

}  // namespace nabla::io
