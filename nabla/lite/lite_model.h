#pragma once
// Quantized models as nabla Models: load_model("m.nblite") returns a functional model of one layer,
// lite::InterpreterLayer, whose call runs lite::Interpreter, so predict, predict_on_batch and nabla-serve use a
// quantized model unchanged. The input keeps the float model's input name and the output its output layer's
// name (what serving signatures show).
#include <memory>
#include <string>

#include "nabla/lite/runtime/interpreter.h"
#include "nabla/nn/layer.h"
#include "nabla/train/model.h"

namespace nabla::lite {

class InterpreterLayer : public nn::Layer {
 public:
  explicit InterpreterLayer(std::shared_ptr<Interpreter> interpreter);
  using Layer::call;
  // x: float32 [batch, input shape...]; returns float32 [batch, output shape...]. Not differentiable.
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const std::vector<Shape>& in) const override;
  const Interpreter& interpreter() const { return *interp_; }
  Interpreter& interpreter() { return *interp_; }

 private:
  std::shared_ptr<Interpreter> interp_;
};

// A model whose predict runs `m` on the int8 interpreter.
std::shared_ptr<Model> as_model(QModel m);
// The quantized model behind a model that as_model or load_model made, or nullptr.
const QModel* quantized_model_of(const Model& model);

// io/model_file.cpp's branches for quantized models: load_model of "*.nblite", and save_model of a quantized
// model (to "*.nblite", or to "*.onnx" in QDQ form, lite/onnx_qdq_export.h) or of anything to "*.nblite" (a
// float model throws, naming lite::quantize; a quantized one has no other format).
std::shared_ptr<Model> load_nblite_model(const std::string& path);
void save_quantized_model(const Model& model, const std::string& path, int onnx_opset);

}  // namespace nabla::lite

namespace nabla {
// save_model(lite::quantize(model, x), "m.nblite"): the .nblite file (docs/nblite.md).
void save_model(const lite::QModel& qmodel, const std::string& path);
}  // namespace nabla
