#include "nabla/io/onnx_op.h"

#include <nlohmann/json.hpp>

namespace nabla::io {
namespace {
constexpr int64_t kMaxSampleElements = int64_t(1) << 31;
}  // namespace

OnnxOp::OnnxOp(std::string op_type, std::string node_name, Fn fn, ShapeFn shape_fn)
    : Layer("OnnxOp"),
      op_type_(std::move(op_type)),
      node_name_(std::move(node_name)),
      fn_(std::move(fn)),
      shape_fn_(std::move(shape_fn)) {}

Tensor OnnxOp::call(const std::vector<Tensor>& xs, bool) {
  std::vector<Shape> in;
  for (const Tensor& x : xs) in.push_back(x.shape());
  const Shape want = shape_fn_(in);
  Tensor y = fn_(xs);
  NABLA_CHECK_SHAPE(y.shape() == want, "ONNX node '", node_name_, "' (", op_type_, ") computed shape ",
                    y.shape().str(), " where its shape inference says ", want.str());
  return y;
}

Shape OnnxOp::compute_output_shape(const std::vector<Shape>& in) const {
  Shape out = shape_fn_(in);
  int64_t n = 1;
  for (int i = 0; i < out.size(); ++i) {
    const int64_t d = out[i] < 0 ? 1 : out[i];
    NABLA_CHECK_SHAPE(d == 0 || n <= kMaxSampleElements / d, "ONNX node '", node_name_, "' (", op_type_,
                      "): its output of shape ", out.str(), " would hold over ", kMaxSampleElements,
                      " values per sample");
    n *= d;
  }
  return out;
}

nlohmann::json OnnxOp::get_config() const {
  throw ValueError(detail::concat("layer '", name(), "' runs ", op_type_, " for ONNX node '", node_name_,
                                  "' and has no Keras layer; such a model can be run and trained in nabla but not "
                                  "written as a Keras file"));
}

}  // namespace nabla::io
