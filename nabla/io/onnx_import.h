#pragma once
// ONNX models in: load_model("m.onnx") builds an inference model from an ONNX graph (what torch.onnx.export and
// tf2onnx write). The graph becomes a functional model of nabla layers where its nodes map to them (Gemm/MatMul ->
// Dense, Conv -> Conv2D, BatchNormalization, MaxPool/AveragePool, Relu/Sigmoid/Softmax/..., Flatten, Reshape, Add,
// Concat, Gather on a constant table -> Embedding), so that the model can be compiled and fine-tuned; a node
// without a nabla layer runs as an io::OnnxOp (its op with nabla's differentiable ops).
//
// Layouts: ONNX convolutions are NCHW, nabla's NHWC. Each ONNX value is held as a nabla tensor plus the order of
// its axes; a Transpose only relabels the order, and a layer that needs another order (Conv2D wants channels
// last, Gemm/Flatten/Reshape the ONNX order) gets a Permute in front. So torch's NCHW graphs and tf2onnx's
// NHWC->NCHW->NHWC transposes both import with as few permutes as the graph needs.
//
// The model file is parsed with libonnx's generated protobuf classes (onnx-ml.pb.h). Everything is checked
// before use: a graph with unsupported ops fails listing every such node at once; truncated protobufs, dangling
// node inputs, initializers whose data does not fill their dims, and cycles fail naming the file and the node.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nabla/train/model.h"

namespace nabla::io {

// Reads path and imports it (see above); errors start with "load_model: '<path>'".
std::shared_ptr<Model> load_onnx_model(const std::string& path);
// The same from the file's bytes; `where` names the source in errors (the fuzz target and tests use it).
std::shared_ptr<Model> parse_onnx_model(std::string_view bytes, const std::string& where);

// What an ONNX file declares, for nabla-inspect: inputs and outputs with element type and shape ("batch" for a
// symbolic axis), and the nodes in file order.
struct OnnxValueInfo {
  std::string name, elem_type;
  std::vector<std::string> dims;
};
struct OnnxNodeInfo {
  std::string name, op_type, domain;
  std::vector<std::string> inputs, outputs;
};
struct OnnxGraphInfo {
  std::string producer, graph_name;
  int64_t ir_version = 0, opset = 0;
  std::vector<OnnxValueInfo> inputs, outputs;
  std::vector<OnnxNodeInfo> nodes;
  size_t initializers = 0;
  int64_t parameters = 0;  // elements over all initializers
};
OnnxGraphInfo describe_onnx(const std::string& path);

}  // namespace nabla::io
