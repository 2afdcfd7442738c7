#include "nabla/lite/onnx_qdq_export.h"

#include <onnx/onnx_pb.h>

#include <cstring>
#include <map>
#include <set>
#include <vector>

#include "nabla/core/atomic_file.h"
#include "nabla/core/error.h"

namespace nabla::lite {
namespace {

class QdqExporter {
 public:
  QdqExporter(const QModel& m, int opset) : m_(m), opset_(opset) {}

  onnx::ModelProto run() {
    NABLA_CHECK(opset_ >= 13 && opset_ <= 17, "export_onnx_qdq: opset ", opset_, "; nabla writes 13 to 17");
    m_.validate("export_onnx_qdq: model '" + m_.name + "'");
    onnx::ModelProto mp;
    mp.set_ir_version(opset_ >= 15 ? 8 : 7);
    mp.set_producer_name("nabla");
    mp.set_producer_version("0.1.0");
    auto* os = mp.add_opset_import();
    os->set_domain("");
    os->set_version(opset_);
    g_ = mp.mutable_graph();
    g_->set_name(m_.name);
    g_->set_doc_string("nabla lite int8 model '" + m_.name + "' in QDQ form (uint8 activations, int8 per-channel "
                       "weights, int32 biases)");
    const QTensor& in = m_.tensors[size_t(m_.input)];
    const QTensor& out = m_.tensors[size_t(m_.output)];
    used_.insert(in.name);
    used_.insert(out.name);
    value_info(g_->add_input(), in.name, in.shape);
    // The input, quantized.
    q_[m_.input] = quantize(in.name, in.q, "input");
    std::string result;
    for (const QOp& op : m_.ops) emit(op);
    const QTensor& ot = out;
    result = ot.is_float ? f_.at(m_.output) : dequantize(q_.at(m_.output), ot.q, "output");
    if (m_.output_softmax) {
      onnx::NodeProto* s = node("Softmax", {result}, "output");
      attr_i(s, "axis", -1);
      result = s->output(0);
    }
    // The last node's output takes the model's output name.
    for (auto& n : *g_->mutable_node())
      for (auto& o : *n.mutable_output())
        if (o == result) o = out.name;
    value_info(g_->add_output(), out.name, out.shape);
    return mp;
  }

 private:
  std::string fresh(const std::string& base) {
    std::string n = base;
    for (int i = 1; used_.count(n); ++i) n = base + "_" + std::to_string(i);
    used_.insert(n);
    return n;
  }
  onnx::NodeProto* node(const std::string& op, const std::vector<std::string>& in, const std::string& where) {
    onnx::NodeProto* n = g_->add_node();
    n->set_op_type(op);
    n->set_name(fresh(where + "/" + op));
    for (const auto& i : in) n->add_input(i);
    n->add_output(fresh(n->name() + ":0"));
    return n;
  }
  static void attr_i(onnx::NodeProto* n, const std::string& name, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr_ints(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }
  static void value_info(onnx::ValueInfoProto* vi, const std::string& name, const std::vector<int64_t>& shape) {
    vi->set_name(name);
    auto* t = vi->mutable_type()->mutable_tensor_type();
    t->set_elem_type(onnx::TensorProto::FLOAT);
    auto* s = t->mutable_shape();
    s->add_dim()->set_dim_param("batch");
    for (int64_t d : shape) s->add_dim()->set_dim_value(d);
  }
  template <class T>
  std::string init(const std::string& name, int type, const std::vector<T>& v, const std::vector<int64_t>& dims) {
    onnx::TensorProto* t = g_->add_initializer();
    t->set_name(fresh(name));
    t->set_data_type(type);
    for (int64_t d : dims) t->add_dims(d);
    t->set_raw_data(v.data(), v.size() * sizeof(T));  // little-endian, as the machines nabla runs on
    return t->name();
  }
  std::string scale_zp(QuantParams q, std::string& zp) {
    uint32_t bits;
    std::memcpy(&bits, &q.scale, sizeof bits);
    const std::pair<uint32_t, int32_t> key{bits, q.zero_point};
    auto it = params_.find(key);
    if (it == params_.end()) {
      const std::string s = init("q/scale", onnx::TensorProto::FLOAT, std::vector<float>{q.scale}, {});
      const std::string z = init("q/zero_point", onnx::TensorProto::UINT8,
                                 std::vector<uint8_t>{uint8_t(q.zero_point)}, {});
      it = params_.emplace(key, std::make_pair(s, z)).first;
    }
    zp = it->second.second;
    return it->second.first;
  }
  std::string quantize(const std::string& x, QuantParams q, const std::string& where) {
    std::string zp;
    const std::string s = scale_zp(q, zp);
    return node("QuantizeLinear", {x, s, zp}, where)->output(0);
  }
  std::string dequantize(const std::string& x, QuantParams q, const std::string& where) {
    std::string zp;
    const std::string s = scale_zp(q, zp);
    return node("DequantizeLinear", {x, s, zp}, where)->output(0);
  }
  std::string transpose(const std::string& x, const std::vector<int64_t>& perm, const std::string& where) {
    onnx::NodeProto* n = node("Transpose", {x}, where);
    attr_ints(n, "perm", perm);
    return n->output(0);
  }
  // int8 weights [.., O] (output channel last) -> DequantizeLinear over `axis` of `dims` after reordering.
  std::string weights(const QOp& op, const std::vector<int8_t>& w, const std::vector<int64_t>& dims, int axis) {
    const int64_t o = int64_t(op.weight_scales.size());
    const std::string wq = init(op.name + "/kernel_int8", onnx::TensorProto::INT8, w, dims);
    const std::string s = init(op.name + "/kernel_scale", onnx::TensorProto::FLOAT, op.weight_scales, {o});
    const std::string z = init(op.name + "/kernel_zero_point", onnx::TensorProto::INT8,
                               std::vector<int8_t>(size_t(o), 0), {o});
    onnx::NodeProto* n = node("DequantizeLinear", {wq, s, z}, op.name + "/kernel");
    attr_i(n, "axis", axis);
    return n->output(0);
  }
  std::string bias(const QOp& op, float s_in) {
    const int64_t o = int64_t(op.weight_scales.size());
    std::vector<float> s(static_cast<size_t>(o));
    for (int64_t i = 0; i < o; ++i) s[size_t(i)] = s_in * op.weight_scales[size_t(i)];
    const std::string bq = init(op.name + "/bias_int32", onnx::TensorProto::INT32, op.bias, {o});
    const std::string bs = init(op.name + "/bias_scale", onnx::TensorProto::FLOAT, s, {o});
    onnx::NodeProto* n = node("DequantizeLinear", {bq, bs}, op.name + "/bias");
    attr_i(n, "axis", 0);
    return n->output(0);
  }

  void emit(const QOp& op) {
    const QTensor& xt = m_.tensors[size_t(op.inputs[0])];
    const QTensor& yt = m_.tensors[size_t(op.output)];
    auto finish = [&](std::string y) {  // float result -> the op's output tensor
      if (op.relu) y = node("Relu", {y}, op.name)->output(0);
      if (yt.is_float)
        f_[op.output] = y;
      else
        q_[op.output] = quantize(y, yt.q, op.name);
    };
    switch (op.kind) {
      case OpKind::Dense: {
        const std::string x = dequantize(q_.at(op.inputs[0]), xt.q, op.name);
        const int64_t k = xt.shape.back(), n = int64_t(op.weight_scales.size());
        std::string y = node("MatMul", {x, weights(op, op.weights, {k, n}, 1)}, op.name)->output(0);
        if (!op.bias.empty()) y = node("Add", {y, bias(op, xt.q.scale)}, op.name)->output(0);
        finish(y);
        break;
      }
      case OpKind::Conv2D: {
        // HWIO -> OIHW.
        const int64_t kh = op.kh, kw = op.kw, c = xt.shape[2], o = int64_t(op.weight_scales.size());
        std::vector<int8_t> oihw(op.weights.size());
        for (int64_t i = 0; i < kh; ++i)
          for (int64_t j = 0; j < kw; ++j)
            for (int64_t ci = 0; ci < c; ++ci)
              for (int64_t co = 0; co < o; ++co)
                oihw[size_t(((co * c + ci) * kh + i) * kw + j)] = op.weights[size_t(((i * kw + j) * c + ci) * o + co)];
        const std::string x = dequantize(transpose(q_.at(op.inputs[0]), {0, 3, 1, 2}, op.name), xt.q, op.name);
        std::vector<std::string> ins{x, weights(op, oihw, {o, c, kh, kw}, 0)};
        if (!op.bias.empty()) ins.push_back(bias(op, xt.q.scale));
        onnx::NodeProto* n = node("Conv", ins, op.name);
        attr_ints(n, "kernel_shape", {kh, kw});
        attr_ints(n, "strides", {op.sh, op.sw});
        attr_ints(n, "dilations", {op.dh, op.dw});
        attr_ints(n, "pads", {op.pad_t, op.pad_l, op.pad_b, op.pad_r});
        std::string y = n->output(0);
        if (op.relu) y = node("Relu", {y}, op.name)->output(0);
        if (yt.is_float) {
          f_[op.output] = transpose(y, {0, 2, 3, 1}, op.name);
        } else {
          q_[op.output] = transpose(quantize(y, yt.q, op.name), {0, 2, 3, 1}, op.name);
        }
        break;
      }
      case OpKind::MaxPooling2D:
      case OpKind::AveragePooling2D: {
        const bool max = op.kind == OpKind::MaxPooling2D;
        const std::string x = dequantize(transpose(q_.at(op.inputs[0]), {0, 3, 1, 2}, op.name), xt.q, op.name);
        onnx::NodeProto* n = node(max ? "MaxPool" : "AveragePool", {x}, op.name);
        attr_ints(n, "kernel_shape", {op.kh, op.kw});
        attr_ints(n, "strides", {op.sh, op.sw});
        attr_ints(n, "pads", {op.pad_t, op.pad_l, op.pad_b, op.pad_r});
        if (!max) attr_i(n, "count_include_pad", 0);
        q_[op.output] = transpose(quantize(n->output(0), yt.q, op.name), {0, 2, 3, 1}, op.name);
        break;
      }
      case OpKind::Add:
      case OpKind::Concatenate: {
        std::vector<std::string> xs;
        for (int32_t in : op.inputs) xs.push_back(dequantize(q_.at(in), m_.tensors[size_t(in)].q, op.name));
        onnx::NodeProto* n = node(op.kind == OpKind::Add ? "Sum" : "Concat", xs, op.name);
        if (op.kind == OpKind::Concatenate) attr_i(n, "axis", -1);
        q_[op.output] = quantize(n->output(0), yt.q, op.name);
        break;
      }
      case OpKind::Reshape: {
        std::vector<int64_t> shape{-1};
        shape.insert(shape.end(), yt.shape.begin(), yt.shape.end());
        const std::string s = init(op.name + "/shape", onnx::TensorProto::INT64, shape, {int64_t(shape.size())});
        q_[op.output] = node("Reshape", {q_.at(op.inputs[0]), s}, op.name)->output(0);
        break;
      }
    }
  }

  const QModel& m_;
  int opset_;
  onnx::GraphProto* g_ = nullptr;
  std::set<std::string> used_;
  std::map<int32_t, std::string> q_, f_;  // per tensor: its uint8 value, or a float graph output
  std::map<std::pair<uint32_t, int32_t>, std::pair<std::string, std::string>> params_;
};

}  // namespace

std::string onnx_qdq_bytes(const QModel& m, int opset) {
  onnx::ModelProto mp = QdqExporter(m, opset).run();
  std::string bytes;
  NABLA_CHECK(mp.SerializeToString(&bytes), "export_onnx_qdq: protobuf could not serialize model '", m.name, "'");
  return bytes;
}

void export_onnx_qdq(const QModel& m, const std::string& path, int opset) {
  write_file_atomic(path, onnx_qdq_bytes(m, opset), "save_model");
}

}  // namespace nabla::lite
