#include "nabla/io/onnx_op.h"

#include <nlohmann/json.hpp>

#include "nabla/autograd/grad_mode.h"

namespace nabla::io {
namespace {
// Shape inference runs the node on zeros; a bound keeps a hostile model's dimensions from allocating the machine.
constexpr int64_t kMaxProbeElements = int64_t(1) << 24;
}  // namespace

OnnxOp::OnnxOp(std::string op_type, std::string node_name, Fn fn)
    : Layer("OnnxOp"), op_type_(std::move(op_type)), node_name_(std::move(node_name)), fn_(std::move(fn)) {}

Tensor OnnxOp::call(const std::vector<Tensor>& xs, bool) { return fn_(xs); }

Shape OnnxOp::compute_output_shape(const std::vector<Shape>& in) const {
  auto probe = [&](int64_t batch) {
    std::vector<Tensor> xs;
    for (const Shape& s : in) {
      Shape c = s;
      for (int i = 0; i < c.size(); ++i) {
        if (c[i] >= 0) continue;
        NABLA_CHECK_SHAPE(i == 0, "ONNX node '", node_name_, "' (", op_type_, "): input shape ", s.str(),
                          " has an unknown size after the batch axis; nabla imports static shapes only");
        c[i] = batch;
      }
      NABLA_CHECK_SHAPE(c.numel() <= kMaxProbeElements, "ONNX node '", node_name_, "' (", op_type_,
                        "): input shape ", s.str(), " is too large (over ", kMaxProbeElements, " values per sample)");
      xs.push_back(Tensor::zeros(c));
    }
    NoGradGuard ng;
    return fn_(xs).shape();
  };
  bool batched = false;
  for (const Shape& s : in) batched = batched || (s.size() > 0 && s[0] < 0);
  Shape one = probe(1);
  if (!batched) return one;
  Shape two = probe(2);
  NABLA_CHECK_SHAPE(one.size() == two.size(), "ONNX node '", node_name_, "' (", op_type_,
                    "): its output rank depends on the batch size");
  for (int i = 0; i < one.size(); ++i)
    if (one[i] != two[i]) one[i] = -1;
  return one;
}

nlohmann::json OnnxOp::get_config() const {
  throw ValueError(detail::concat("layer '", name(), "' runs ONNX node '", node_name_, "' (", op_type_,
                                  "), which has no Keras layer; such a model can be run and trained in nabla but "
                                  "not written as a Keras file"));
}

}  // namespace nabla::io
