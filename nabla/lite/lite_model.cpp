#include "nabla/lite/lite_model.h"

#include <algorithm>
#include <cctype>

#include "nabla/core/error.h"
#include "nabla/lite/onnx_qdq_export.h"
#include "nabla/lite/runtime/nblite_format.h"
#include "nabla/train/functional.h"

namespace nabla::lite {
namespace {

std::string shape_str(const std::vector<int64_t>& s) {
  std::string r = "(";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + ")";
}

}  // namespace

InterpreterLayer::InterpreterLayer(std::shared_ptr<Interpreter> interpreter)
    : Layer("InterpreterLayer"), interp_(std::move(interpreter)) {}

Tensor InterpreterLayer::call(const Tensor& x, bool /*training*/) {
  const auto& in = interp_->input_shape();
  const bool fits = x.dim() == int(in.size()) + 1 && std::equal(in.begin(), in.end(), x.shape().begin() + 1);
  NABLA_CHECK_SHAPE(fits, "layer '", name(), "' (quantized model '", interp_->model().name, "') expects inputs of shape (batch, ",
                    shape_str(in).substr(1), ", got ", x.shape().str());
  const Tensor xc = x.detach().to(f32).contiguous();
  std::vector<int64_t> out{x.size(0)};
  for (int64_t d : interp_->output_shape()) out.push_back(d);
  Tensor y = Tensor::empty(Shape(out), f32);
  interp_->invoke(xc.data<float>(), x.size(0), y.data<float>());
  return y;
}

Shape InterpreterLayer::compute_output_shape(const std::vector<Shape>& in) const {
  NABLA_CHECK_SHAPE(in.size() == 1, "layer '", name(), "' takes one input");
  std::vector<int64_t> out{in[0].size() > 0 ? in[0][0] : -1};
  for (int64_t d : interp_->output_shape()) out.push_back(d);
  return Shape(out);
}

std::shared_ptr<Model> as_model(QModel m) {
  auto interp = std::make_shared<Interpreter>(std::move(m));
  const QModel& q = interp->model();
  auto layer = std::make_shared<InterpreterLayer>(interp);
  layer->set_name(q.tensors[size_t(q.output)].name);
  KerasTensor input = Input(q.tensors[size_t(q.input)].shape, q.tensors[size_t(q.input)].name);
  return std::make_shared<Functional>(input, apply_layer(layer, input), q.name);
}

const QModel* quantized_model_of(const Model& model) {
  for (const auto& l : model.layers())
    if (auto* il = dynamic_cast<const InterpreterLayer*>(l.get())) return &il->interpreter().model();
  return nullptr;
}

std::shared_ptr<Model> load_nblite_model(const std::string& path) { return as_model(read_nblite(path)); }

void save_quantized_model(const Model& model, const std::string& path, int onnx_opset) {
  const QModel* q = quantized_model_of(model);
  if (!q)
    throw ValueError("save_model: '" + path + "': model '" + model.name() +
                     "' is a float32 model; quantize it first (nabla::lite::quantize, or nabla-convert --quantize int8)");
  auto ends_with = [&](const std::string& s) {
    return path.size() >= s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0;
  };
  if (ends_with(".nblite")) return write_nblite(*q, path);
  if (ends_with(".onnx")) return export_onnx_qdq(*q, path, onnx_opset);
  throw ValueError("save_model: '" + path + "': model '" + model.name() +
                   "' is quantized (nabla lite); it is written as .nblite or as an ONNX QDQ graph (.onnx) only");
}

}  // namespace nabla::lite

namespace nabla {
void save_model(const lite::QModel& qmodel, const std::string& path) { lite::write_nblite(qmodel, path); }
}  // namespace nabla
